"""Snapshots in object storage: ``tidings s3 push|status`` on a publishing host, ``tidings sync``
on an edge host (``tidings edge --source`` runs the same loop beside the edge)."""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
from pathlib import Path

from tidings.cli.common import Subcommands, command


def cmd_sync(args: argparse.Namespace) -> int:
    # No Django: an edge host has no database.
    from tidings.config import get_settings
    from tidings.statuspage import s3sync
    from tidings.statuspage.objectstore import StoreError, Target

    s = get_settings()
    source = args.source or s.s3_url
    if not source:
        print(
            "tidings sync: give --source s3://bucket/prefix or set TIDINGS_S3_URL", file=sys.stderr
        )
        return 2
    try:
        target = Target.parse(source, s.s3_endpoint, s.s3_region)
    except ValueError as e:
        print(f"tidings sync: {e}", file=sys.stderr)
        return 2
    root = Path(args.dir) if args.dir else s.snapshot_dir
    if args.once:
        try:
            result = s3sync.sync_once(target, root, keep=s.snapshots_kept)
        except StoreError as e:
            print(f"tidings sync: {e}", file=sys.stderr)
            return 1
        print(
            f"synced v{result.version}: {result.downloaded} downloaded, {result.linked} linked"
            if result
            else "up to date"
        )
        return 0
    logging.basicConfig(level=s.log_level, format="%(asctime)s %(levelname)s %(message)s")
    stop = False

    def on_signal(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"tidings sync: following {target} into {root.resolve()}", flush=True)
    s3sync.follow(
        target, root, every=s.s3_poll_seconds, keep=s.snapshots_kept, should_stop=lambda: stop
    )
    return 0


def start_follower(source: str) -> subprocess.Popen[bytes]:
    """``tidings sync`` as a child of ``tidings edge --source``: its own process, so the edge's
    processes spend no time on it."""
    return subprocess.Popen([sys.executable, "-m", "tidings.cli", "sync", "--source", source])


def cmd_s3(args: argparse.Namespace) -> int:
    from tidings.config import get_settings
    from tidings.statuspage import s3push

    s = get_settings()
    if not s.s3_url:
        print("tidings s3: TIDINGS_S3_URL is not set", file=sys.stderr)
        return 2
    if args.action == "status":
        state = s3push.read_state(s)
        print(f"bucket: {s.s3_url}" + (f" at {s.s3_endpoint}" if s.s3_endpoint else ""))
        print(f"last uploaded: v{state.get('pushed')} at {state.get('pushed_at')}")
        if state.get("error"):
            print(
                f"last failure: v{state.get('failed')} at {state.get('failed_at')}: {state['error']}"
            )
        print("behind: yes" if s3push.behind(s) else "behind: no")
        return 0
    logging.basicConfig(level=s.log_level, format="%(levelname)s %(message)s")
    with s3push.snapshot_lock(s.snapshot_dir):
        result = s3push.after_publish(s)
    if result is None:
        return 1
    print(
        f"v{result.version}: {len(result.uploaded)} objects uploaded, {result.skipped} unchanged, "
        f"{len(result.deleted)} deleted"
    )
    return 0


def register(sub: Subcommands) -> None:
    sync = command(
        sub,
        "sync",
        cmd_sync,
        help="keep a local snapshot directory current with an S3 bucket (edge hosts)",
    )
    sync.add_argument("--source", default="", help="s3://bucket/prefix (default TIDINGS_S3_URL)")
    sync.add_argument("--dir", default="", help="snapshot directory (default DATA_DIR/snapshots)")
    sync.add_argument("--once", action="store_true", help="sync once and exit")

    s3 = command(
        sub, "s3", cmd_s3, help="upload the current snapshot to TIDINGS_S3_URL, or show state"
    )
    s3.add_argument("action", choices=["push", "status"])
