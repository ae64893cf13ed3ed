#!/usr/bin/env bash
# Copy a publishing host's snapshot directory to an edge host's, versions first and the
# `current` link last, so an edge reading the copy never follows the link to a version that is
# not wholly there yet (rsync replaces the link by a rename). -H keeps the hard links between
# versions, so an unchanged file costs no disk twice.
#   scripts/sync-snapshots.sh var/snapshots/ edge1:/srv/tidings/var/snapshots/
# Run it after each publish, or every second or two from a loop or a systemd timer.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 SOURCE_SNAPSHOT_DIR DEST_SNAPSHOT_DIR (rsync syntax; host: allowed)" >&2
  exit 2
fi
src="${1%/}/"
dest="${2%/}/"
rsync -aH --delete --exclude current --exclude '.*' "$src" "$dest"
rsync -aH "${src}current" "$dest"
