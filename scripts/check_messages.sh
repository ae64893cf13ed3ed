#!/usr/bin/env bash
# Check the Hebrew translation catalogue against the code.
#
# Fails when
#   * a translatable string in src/tidings (templates or Python) is missing from
#     src/tidings/locale/he/LC_MESSAGES/django.po, or is there but untranslated or fuzzy;
#   * django.po itself does not pass `msgfmt --check` (placeholders, plural forms, header);
#   * django.mo is missing or was not recompiled after the last change to django.po.
#
# Usage (from anywhere; paths are resolved from the repository root):
#   scripts/check_messages.sh
#   PYTHON=/path/to/python scripts/check_messages.sh    # default: .venv/bin/python
#
# Strings are extracted by Django's makemessages, run on a temporary copy of src/tidings
# without project settings, so nothing in the working tree is written to.
# To fix a failure:
#   cd src/tidings && TIDINGS_DATA_DIR=/tmp/tdmsg ../../.venv/bin/django-admin \
#       makemessages -l he --settings=tidings.settings
#   (translate the new or fuzzy entries in django.po, remove their "#, fuzzy" flags)
#   msgfmt --check -o locale/he/LC_MESSAGES/django.mo locale/he/LC_MESSAGES/django.po
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

PYTHON=${PYTHON:-"$root/.venv/bin/python"}
pkg=src/tidings
po=$pkg/locale/he/LC_MESSAGES/django.po
mo=$pkg/locale/he/LC_MESSAGES/django.mo

for tool in msgfmt msgunfmt msgcmp xgettext msgmerge msguniq; do
    command -v "$tool" >/dev/null || { echo "check_messages: GNU gettext tool '$tool' not found" >&2; exit 2; }
done
[ -x "$PYTHON" ] || command -v "$PYTHON" >/dev/null || { echo "check_messages: no Python at $PYTHON (set PYTHON)" >&2; exit 2; }
[ -f "$po" ] || { echo "check_messages: $po is missing" >&2; exit 1; }
[ -f "$mo" ] || { echo "check_messages: $mo is missing; compile it with msgfmt --check" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

status=0

# 1. The committed catalogue must be well formed (python-format placeholders, header, plurals).
if ! msgfmt --check -o "$tmp/fresh.mo" "$po"; then
    echo "FAIL: $po does not pass msgfmt --check" >&2
    exit 1
fi

# 2. Extract every msgid from a temporary copy of the package.
mkdir -p "$tmp/src"
cp -R "$pkg" "$tmp/src/tidings"
find "$tmp/src/tidings" -name __pycache__ -type d -prune -exec rm -rf {} +
(
    cd "$tmp/src/tidings"
    # No settings: makemessages then uses ./locale (the copy) and never the real tree.
    env -u DJANGO_SETTINGS_MODULE "$PYTHON" -m django makemessages -l he --keep-pot --verbosity 0
)
pot="$tmp/src/tidings/locale/django.pot"
[ -f "$pot" ] || { echo "check_messages: makemessages produced no $pot" >&2; exit 2; }

# msgcmp ignores untranslated and fuzzy entries of the .po, so a string that is missing,
# empty or fuzzy in the committed catalogue is reported as "used but not defined".
if ! msgcmp "$po" "$pot" 2>"$tmp/msgcmp.err"; then
    echo "FAIL: strings in the code are missing, untranslated or fuzzy in $po:" >&2
    sed "s#$tmp/src/tidings/locale/##g" "$tmp/msgcmp.err" >&2
    # makemessages merged the fresh strings into the temporary copy: show the offenders.
    merged="$tmp/src/tidings/locale/he/LC_MESSAGES/django.po"
    for which in --untranslated --only-fuzzy; do
        msgattrib "$which" --no-obsolete "$merged" | awk 'BEGIN { RS = ""; ORS = "\n\n" } /(^|\n)#: /' >&2 || true
    done
    status=1
fi

# Entries of the committed catalogue that no longer occur in the code (not fatal).
if ! msgcmp --use-untranslated --use-fuzzy "$pot" "$po" >/dev/null 2>&1; then
    echo "note: $po has entries no longer used in the code (re-run makemessages to mark them obsolete)" >&2
fi

# 3. The committed .mo must be what the committed .po compiles to.
if ! cmp -s "$tmp/fresh.mo" "$mo"; then
    # Different msgfmt versions can lay the file out differently; compare the content.
    msgunfmt "$tmp/fresh.mo" >"$tmp/fresh.txt"
    if ! msgunfmt "$mo" >"$tmp/committed.txt" 2>/dev/null || ! cmp -s "$tmp/fresh.txt" "$tmp/committed.txt"; then
        echo "FAIL: $mo is out of date with $po; recompile with:" >&2
        echo "  msgfmt --check -o $mo $po" >&2
        diff -u "$tmp/committed.txt" "$tmp/fresh.txt" | head -40 >&2 || true
        status=1
    fi
fi

if [ "$status" -eq 0 ]; then
    n=$(msgfmt --statistics -o /dev/null "$po" 2>&1)
    echo "check_messages: OK ($n)"
fi
exit "$status"
