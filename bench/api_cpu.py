"""Staff API cost per request, in CPU time and SQL statements: the figures ``bench/api.py``'s
writes per second rest on, measured one request at a time in this process (Django's test
client, no HTTP server), so a machine shared with other work changes them little.

    .venv/bin/python bench/api_cpu.py                    # PostgreSQL (BENCH_PG), 300 calls each
    .venv/bin/python bench/api_cpu.py --calls 100 --sqlite

The same call mix as bench/api.py: an incident update setting two components, a component
status change, an FAQ entry; reads of ``/components`` and ``/incidents`` (3 incidents with 9
updates each, as bench/api.py seeds). CPU is this process's (the web side); the database's own
CPU is not counted. Compare two versions of the code in the same run by running this script
twice, the other with ``PYTHONPATH=<other checkout>/src``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", "tidings_api_cpu_bench")  # another name: runs side by side
STATUSES = ("degraded_performance", "partial_outage", "major_outage", "operational")
STEPS = ("investigating", "identified", "monitoring")


def psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG}/postgres", "-qtAc", sql], check=True, capture_output=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--calls", type=int, default=300, help="timed calls of each kind")
    p.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    p.add_argument(
        "--profile", metavar="WORD", default="",
        help="cProfile the calls whose name holds WORD (e.g. updates) and print where the CPU went",
    )  # fmt: skip
    p.add_argument(
        "--sql", action="store_true",
        help="print the statements one call of each kind sends (after the timed calls)",
    )  # fmt: skip
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tidings-api-cpu-"))
    os.environ.update(
        TIDINGS_DATA_DIR=str(tmp / "data"), TIDINGS_LOG_LEVEL="WARNING",
        TIDINGS_SECRET_KEY="bench-" + "x" * 50, TIDINGS_TASK_BACKEND="database",
        DJANGO_SETTINGS_MODULE="tidings.settings",
    )  # fmt: skip
    if not args.sqlite:
        psql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        psql(f'CREATE DATABASE "{DB}"')
        os.environ["TIDINGS_DATABASE_URL"] = f"{PG}/{DB}"
    try:
        return run(args)
    finally:
        if not args.sqlite:
            from django.db import connections

            connections.close_all()
            psql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')


def timed(
    fn: Callable[[int], Any], calls: int, profiler: cProfile.Profile | None
) -> tuple[float, float, int]:
    """CPU seconds, wall seconds and statements sent for ``calls`` calls of ``fn``."""
    from django.db import connection

    sent = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal sent
        sent += not sql.startswith("BEGIN")
        return execute(sql, params, many, context)

    cpu, wall = time.process_time(), time.perf_counter()
    with connection.execute_wrapper(count):
        if profiler:
            profiler.enable()
        for k in range(calls):
            fn(k)
        if profiler:
            profiler.disable()
    return time.process_time() - cpu, time.perf_counter() - wall, sent


def print_statements(fn: Callable[[int], Any], k: int) -> None:
    """The SQL one more call of ``fn`` sends, one line each (long ones cut)."""
    from django.db import connection

    def show(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        print(f"      {' '.join(sql.split())[:150]}")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(show):
        fn(k)


def measure(name: str, fn: Callable[[int], Any], args: argparse.Namespace) -> None:
    """Warm up, time ``args.calls`` calls of ``fn`` and print the figures (and, as asked, its
    statements and profile: ``BENCH_PROFILE_FILTER`` keeps the profile's lines whose place
    matches it, ``BENCH_PROFILE_DUMP`` writes the profile to that file for pstats)."""
    for k in range(20):
        fn(k)
    profiler = (
        cProfile.Profile(time.process_time) if args.profile and args.profile in name else None
    )
    cpu, wall, sent = timed(fn, args.calls, profiler)
    print(
        f"  {name:<30} {cpu / args.calls * 1000:6.2f} ms CPU  {wall / args.calls * 1000:6.2f}"
        f" ms wall  {sent / args.calls:5.1f} statements per call"
    )
    if args.sql:
        print_statements(fn, args.calls)
    if profiler is None:
        return
    if os.environ.get("BENCH_PROFILE_DUMP"):
        profiler.dump_stats(os.environ["BENCH_PROFILE_DUMP"])
    for order in ("tottime", "cumulative"):
        stats = pstats.Stats(profiler).sort_stats(order)
        stats.print_stats(os.environ.get("BENCH_PROFILE_FILTER", ""), 40)


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from tidings.core.auth import issue_token

    call_command("migrate", verbosity=0)
    # A superuser, as bench/api.py's ``tidings createadmin``: the writes need the admin role.
    user = User.objects.create_superuser("dana", "dana@acme.test", "pw")
    token = issue_token(user=user, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")

    def call(method: str, path: str, body: Any = None) -> Any:
        kw: dict[str, Any] = {}
        if body is not None:
            kw = {"data": json.dumps(body), "content_type": "application/json"}
        resp = getattr(client, method)("/api/v1" + path, **kw)
        if resp.status_code >= 300:
            raise SystemExit(f"{method} {path}: {resp.status_code} {resp.content[:300]!r}")
        return resp.json() if resp.content else None

    comps = [call("post", "/components", {"name": f"Service {n}"})["id"] for n in range(10)]
    incs = []
    for n in range(3):
        inc = call("post", "/incidents", {"title": f"Trouble {n}", "body": "Looking.",
                                         "severity": "SEV2", "audience": "none"})  # fmt: skip
        incs.append(inc["id"])
        for step in range(8):
            call("post", f"/incidents/{inc['id']}/updates",
                 {"status": STEPS[step % 3], "body": f"Update {step}.", "audience": "none"})  # fmt: skip

    def update(k: int) -> None:
        a, b = comps[k % 6], comps[(k + 1 + k // 6) % 6 or 1]
        call("post", f"/incidents/{incs[k % 3]}/updates", {
            # a new text each time: a word-for-word repeat is refused (honesty checks)
            "status": STEPS[k % 3], "body": {"en": f"We are on it ({k}).", "he": f"אנחנו מטפלים בזה ({k})."},
            "components": {a: STATUSES[k % 4], b: STATUSES[(k + 1) % 4]}, "audience": "none",
        })  # fmt: skip

    kinds: dict[str, Callable[[int], Any]] = {
        "POST /incidents/{id}/updates": update,
        "PATCH /components/{id}": lambda k: call(
            "patch", f"/components/{comps[k % 10]}", {"status": STATUSES[k % 4]}
        ),
        "POST /incidents/{id}/faq": lambda k: call(
            "post",
            f"/incidents/{incs[k % 3]}/faq",
            {"question": "Is data lost?", "answer": "No.", "position": k % 10},
        ),
        "GET /components": lambda k: call("get", "/components"),
    }
    # Read before the writes add updates, so the list is the size bench/api.py's idle reads see.
    ordered: dict[str, Callable[[int], Any]] = {
        "GET /incidents": lambda k: call("get", "/incidents"),
        **kinds,
    }
    print(f"{connection.vendor}, {args.calls} calls each, load average {os.getloadavg()[0]:.2f}")
    for name, fn in ordered.items():
        measure(name, fn, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
