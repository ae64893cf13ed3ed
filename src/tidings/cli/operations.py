"""The commands staff and operators run once: load the demo, create an admin, issue a token,
publish now, list or run periodic jobs, any Django management command."""

from __future__ import annotations

import argparse
import os
import secrets
import sys

from tidings.cli.common import Subcommands, command, django_setup, manage


def cmd_demo(args: argparse.Namespace) -> int:
    manage("migrate", "--verbosity", "0")
    from tidings.demo.load import load_demo
    from tidings.statuspage.publisher import publish

    if args.history:
        from tidings.demo.history import add_history

        print(add_history(args.history))
        publish(force=True, full=True)
        return 0
    print(load_demo(quiet=False) or "The database has data already; the demo was not loaded.")
    publish(force=True)
    return 0


def cmd_createadmin(args: argparse.Namespace) -> int:
    manage("migrate", "--verbosity", "0")
    from django.contrib.auth.models import User

    password = (
        args.password or os.environ.get("TIDINGS_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
    )
    if User.objects.filter(username=args.username).exists():
        print(f"tidings: user {args.username!r} exists already", file=sys.stderr)
        return 1
    User.objects.create_superuser(args.username, args.email, password)
    print(
        f"Created staff user {args.username!r}"
        + ("" if args.password else f" with password {password}")
    )
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    django_setup()
    from django.contrib.auth.models import User

    from tidings.core.auth import issue_token

    user = User.objects.filter(username=args.user, is_staff=True).first()
    if user is None:
        print(f"tidings: no staff user {args.user!r}", file=sys.stderr)
        return 1
    try:
        token = issue_token(
            user=user, name=args.name, days=args.days, scopes=args.scope or ["admin"]
        )
    except ValueError as exc:
        print(f"tidings: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    django_setup()
    from tidings.statuspage.publisher import publish

    version = publish(force=args.force or args.full, full=args.full)
    print(f"published v{version}" if version else "the snapshot is up to date")
    if not args.check:
        return 0
    from tidings.statuspage.publisher import check

    differ = check()
    for path in differ:
        print(f"differs from a full render: {path}")
    print("the snapshot equals a full render" if not differ else f"{len(differ)} files differ")
    return 1 if differ else 0


def cmd_jobs(args: argparse.Namespace) -> int:
    django_setup()
    from tidings.core.jobs import JOBS

    if args.action == "run":
        job = JOBS.get(args.name or "")
        if job is None:
            print(f"tidings: no job {args.name!r}; known: {', '.join(JOBS)}", file=sys.stderr)
            return 2
        print(job.run())
        return 0
    for job in JOBS.values():
        print(f"{job.name:<26} every {job.every_seconds:>5}s  {job.doc}")
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tidings manage", *args.rest])
    return 0


def register(sub: Subcommands) -> None:
    demo = command(sub, "demo", cmd_demo, help="load demo data")
    demo.add_argument(
        "--history",
        type=int,
        default=0,
        metavar="N",
        help="add N resolved incidents over the past five years (for trying scale)",
    )

    admin = command(sub, "createadmin", cmd_createadmin, help="create a staff superuser")
    admin.add_argument("--username", default="admin")
    admin.add_argument("--email", default="")
    admin.add_argument(
        "--password", default="", help="default: TIDINGS_ADMIN_PASSWORD or a generated one"
    )

    token = command(sub, "token", cmd_token, help="issue an API token")
    token.add_argument("--user", required=True)
    token.add_argument("--name", default="cli")
    token.add_argument(
        "--days",
        type=int,
        default=None,
        help="valid this long (default TIDINGS_API_TOKEN_DAYS; 0: no expiry)",
    )
    token.add_argument(
        "--scope",
        action="append",
        help="read, incidents, subscribers, customers or admin; repeat for several "
        "(default admin: all the user's role allows)",
    )

    pub = command(sub, "publish", cmd_publish, help="publish the status page now")
    pub.add_argument("--force", action="store_true")
    pub.add_argument("--full", action="store_true", help="render every page from scratch")
    pub.add_argument(
        "--check",
        action="store_true",
        help="then compare the snapshot with a full render of the same moment, byte for byte",
    )

    jobs = command(sub, "jobs", cmd_jobs, help="list or run periodic jobs")
    jobs.add_argument("action", nargs="?", choices=["list", "run"], default="list")
    jobs.add_argument("name", nargs="?")

    manage_cmd = command(sub, "manage", cmd_manage, help="a Django management command")
    manage_cmd.add_argument("rest", nargs=argparse.REMAINDER)
