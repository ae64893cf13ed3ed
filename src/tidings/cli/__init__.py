"""The ``tidings`` command.

tidings up [--demo]     migrate, publish, then edge + web + worker + scheduler on one port
tidings serve           the web app (public site from memory + console, admin, API)
tidings worker          background tasks (publishing, later notifications)
tidings scheduler       periodic jobs (maintenance start/finish, stale snapshots)
tidings edge            the fast public-site server alone (no database needed);
                        --source s3://bucket/prefix follows snapshots another host publishes
tidings sync            keep a snapshot directory current with an S3 bucket (edge hosts)
tidings s3 push|status  upload the current snapshot to TIDINGS_S3_URL, or show the upload state
tidings demo            load the demo company into the database
tidings catcher         the demo's local catcher of mail, SMS and webhooks (up --demo runs it)
tidings createadmin     create a staff superuser
tidings token           issue an API token for a staff user
tidings publish         render the status page snapshot now
tidings jobs [run NAME] list periodic jobs, or run one once
tidings alerts ...      alert sources (add-source prints the receiver URL) and staff event hooks
tidings monitors ...    HTTP, TCP, DNS and heartbeat monitors (run by the scheduler)
tidings manage ...      any Django management command
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tidings.cli import monitors, operations, processes, storage

#: Each module adds its subcommands; a new group of commands is one more line here.
GROUPS = (processes, operations, monitors, storage)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tidings", description="Self-hosted incident communication.")
    sub = p.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result: int = args.fn(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
