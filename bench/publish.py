"""Publishing at the scale of years: from posting an update to its text being served by
``tidings edge``, the publish time, and the bytes of new files per snapshot, with 200 and
5,000 past incidents, on SQLite and PostgreSQL. Then whether the incremental snapshot equals a
full render byte for byte. The sizes' rounds are taken in turn, so a machine whose speed
drifts during the run weighs on each size alike.

    .venv/bin/python bench/publish.py                         # sqlite and postgres, 200 and 5000
    .venv/bin/python bench/publish.py --db sqlite --sizes 200 --rounds 3

Goals (issue 16): with 5,000 past incidents, post -> served <= 1.0 s, at most 1.5x the figure
with 200, and a new snapshot adds <= 5 MB of new files. Exit status 0 all met, 1 a goal missed,
2 an error (incremental != full included). See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = os.environ.get("BENCH_PG_DB", "bench_publish")  # another name per session
GOAL_SECONDS = 1.0
GOAL_RATIO = 1.5
GOAL_NEW_BYTES = 5_000_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fresh_pg(name: str) -> str:
    import psycopg

    _drop_pg(name)
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def _drop_pg(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _new_bytes(snapshot_dir: Path) -> int:
    """Bytes of the current snapshot's files that are not hard links to an earlier snapshot's
    (by inode: the next snapshot's directory, prepared in the background, links them all)."""
    current = (snapshot_dir / "current").resolve()
    earlier = {st.st_ino for d in snapshot_dir.glob("v*") if d != current for st in _stats(d)}
    return sum(st.st_size for st in _stats(current) if st.st_ino not in earlier)


def _stats(directory: Path) -> list[os.stat_result]:
    """The files under ``directory``; those an old snapshot's pruning removes meanwhile (it
    runs in the publishing process's background) are left out."""
    out = []
    for folder, _, names in os.walk(directory):
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                out.append(os.stat(os.path.join(folder, name)))
    return out


def _watch(url: str, marker: bytes, timeout: float) -> None:
    """Poll ``url`` every 10 ms as a browser revalidates (If-None-Match: a 304 until the page
    changes), until its body holds ``marker``; print ``time.monotonic()`` then (nothing on a
    timeout). Only a changed page is read in full. Run in a process of its own (``--watch``),
    as a visitor is: in the publisher's process the poller waited for the interpreter lock
    behind the thread that links the next snapshot (30,000 files with 5,000 past incidents)."""
    deadline = time.monotonic() + timeout
    etag = ""
    first = True
    while time.monotonic() < deadline:
        request = urllib.request.Request(url, headers={"If-None-Match": etag} if etag else {})
        with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=2) as r:
            etag = r.headers.get("ETag", "")
            if marker in r.read():
                print(time.monotonic(), flush=True)
                return
        if first:  # the page as it was is known: the round may start
            print("ready", flush=True)
            first = False
        time.sleep(0.01)


def _watcher(url: str, marker: str, timeout: float) -> subprocess.Popen[str]:
    """A ``_watch`` process, once it holds the page as it was before the round."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--watch", url, marker, str(timeout)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise SystemExit("the watcher saw the marker before the update was posted")
    return proc


def _explain(settings: Any, path: str) -> None:
    """On stderr: how the first differing file differs from a full render."""
    import difflib
    from datetime import datetime

    from tidings.statuspage import snapshot
    from tidings.statuspage.publisher import build

    current = snapshot.load(settings.snapshot_dir)
    assert current is not None
    moment = datetime.fromisoformat(current.generated_at)
    reference = {e.path: e for e in build(settings, current.version, moment)}
    have, want = current.entries.get(path), reference.get(path)
    print(
        f"{path}: in snapshot {have is not None}, in full render {want is not None}",
        file=sys.stderr,
    )
    if have is not None and want is not None:
        lines = difflib.unified_diff(
            have.body.decode().splitlines(), want.body.decode().splitlines(), lineterm="", n=1
        )
        print("\n".join(list(lines)[:40]), file=sys.stderr)


def one_case(gap: float) -> None:
    """In this process (its settings from the environment): for each ``round`` line on stdin,
    post an update, publish and time it, and print the round's figures as a JSON line; at the
    end of stdin, compare the snapshot with a full render and print that."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")
    import django

    django.setup()
    from django.db import transaction

    from tidings.config import get_settings
    from tidings.incidents.models import Incident
    from tidings.incidents.rules import ACTIVE_INCIDENT_STATES
    from tidings.incidents.services import get_incident, post_update
    from tidings.statuspage.publisher import check, publish

    settings = get_settings()
    port = _free_port()
    edge = subprocess.Popen(
        [str(Path(sys.executable).parent / "tidings"), "edge", "--port", str(port),
         "--processes", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        public_id = (
            Incident.objects.filter(visibility="public", status__in=ACTIVE_INCIDENT_STATES)
            .values_list("public_id", flat=True)
            .first()
        )
        if public_id is None:
            raise SystemExit("no active public incident to post to")
        url = f"http://127.0.0.1:{port}/"
        for _ in range(200):
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1):
                break
            time.sleep(0.1)
        # Untimed, reported apart: a worker's first publish after it starts finds no next
        # snapshot staged by this process and links every file itself (30,000 with 5,000 past
        # incidents); in a kept directory it also brings the snapshot to this code.
        t = time.perf_counter()
        publish(settings=settings, force=True)
        first = time.perf_counter() - t
        print("ready", flush=True)
        for line in sys.stdin:
            if line.strip() != "round":
                break
            time.sleep(gap)
            marker = f"bench-{uuid.uuid4().hex[:12]}"
            watcher = _watcher(url, marker, 30.0)
            t0 = time.monotonic()
            with transaction.atomic():
                incident = get_incident(public_id)
                body = {"en": f"Still on it ({marker}).", "he": f"עדיין עובדים ({marker})."}
                post_update(actor="bench", incident=incident, status=incident.status, body=body)
            c0, t1 = time.process_time(), time.perf_counter()
            publish(settings=settings)
            wall, cpu = time.perf_counter() - t1, time.process_time() - c0
            out, _ = watcher.communicate(timeout=60)
            if not out.strip():
                raise SystemExit("the update never showed on the edge within 30 s")
            served = float(out.split()[-1]) - t0
            new = _new_bytes(settings.snapshot_dir)
            print(
                json.dumps({"served": served, "publish": wall, "cpu": cpu, "new": new}), flush=True
            )
        t2 = time.perf_counter()
        differ = check(settings)
        if differ:
            _explain(settings, differ[0])
        files = len(list((settings.snapshot_dir / "current").resolve().rglob("*")))
        print(json.dumps({"check_seconds": time.perf_counter() - t2, "differ": differ[:20],
                          "files": files, "first": first}), flush=True)  # fmt: skip
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(edge.pid, signal.SIGTERM)
        edge.wait(timeout=10)


class Case:
    """One database and size: its data directory (and database), made fresh, or with ``keep``
    the one kept there by an earlier run (made and kept if missing: the setup of 5,000 takes
    minutes); then a ``--one`` process that runs its rounds when told."""

    def __init__(self, db: str, size: int, keep: Path | None) -> None:
        self.db, self.size = db, size
        kept = keep / f"{db}-{size}" if keep is not None else None
        self.reuse = kept is not None and (kept / "ready").exists()
        self.kept = kept is not None
        if kept is not None:
            self.tmp = kept
            if not self.reuse:
                shutil.rmtree(kept, ignore_errors=True)
                kept.mkdir(parents=True)
        else:
            self.tmp = Path(tempfile.mkdtemp(prefix=f"bench-publish-{db}-{size}-"))
        env = {**os.environ, "TIDINGS_DATA_DIR": str(self.tmp), "TIDINGS_LOG_LEVEL": "WARNING"}
        env.pop("TIDINGS_DATABASE_URL", None)
        # Both sizes' databases exist at once; a fresh run's never takes a kept one's name.
        self.pg_name = f"{PG_DB}_{size}" if kept is not None else f"{PG_DB}_run_{size}"
        if db == "postgres":
            name = self.pg_name
            if self.reuse:
                env["TIDINGS_DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
            else:
                env["TIDINGS_DATABASE_URL"] = _fresh_pg(name)
        self.env = env
        self.rounds: list[dict[str, float]] = []
        self.proc: subprocess.Popen[str] | None = None
        self.demo = self.setup = 0.0

    def prepare(self) -> None:
        """``tidings demo`` and ``tidings demo --history N`` (with a full publish), unless kept."""
        if self.reuse:
            return
        tidings = str(Path(sys.executable).parent / "tidings")
        t0 = time.perf_counter()
        subprocess.run([tidings, "demo"], env=self.env, check=True, capture_output=True)
        t1 = time.perf_counter()
        subprocess.run(
            [tidings, "demo", "--history", str(self.size)],
            env=self.env, check=True, capture_output=True,
        )  # fmt: skip
        self.demo, self.setup = t1 - t0, time.perf_counter() - t1
        if self.kept:
            (self.tmp / "ready").touch()

    def start(self, gap: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--one", "--gap", str(gap)],
            env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        if self._line() != "ready":
            raise SystemExit(f"{self.db} {self.size}: the publishing process did not start")

    def round(self) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write("round\n")
        self.proc.stdin.flush()
        self.rounds.append(json.loads(self._line()))

    def finish(self) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.close()
        result: dict[str, Any] = json.loads(self._line())
        self.proc.wait(timeout=60)
        figures = {k: [r[k] for r in self.rounds] for k in ("served", "publish", "cpu", "new")}
        result.update(
            db=self.db, size=self.size, demo=self.demo, history_and_full_publish=self.setup,
            served=statistics.median(figures["served"]), served_min=min(figures["served"]),
            publish=statistics.median(figures["publish"]),
            publish_cpu=statistics.median(figures["cpu"]),
            new_bytes=statistics.median(figures["new"]),
        )  # fmt: skip
        return result

    def _line(self) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"{self.db} {self.size}: the publishing process ended early")
        return line.strip()

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.kept:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if self.db == "postgres":
                _drop_pg(self.pg_name)


def run_db(
    db: str, sizes: list[int], rounds: int, gap: float, keep: Path | None
) -> list[dict[str, Any]]:
    """Every size of one database, their rounds taken in turn (the first size first in odd
    rounds, last in even ones): a machine that slows down or speeds up during the run then
    weighs on every size alike, not on whichever ran in that stretch."""
    cases: list[Case] = []
    try:
        for size in sizes:
            cases.append(Case(db, size, keep))
            cases[-1].prepare()
        for case in cases:
            case.start(gap)
        for n in range(rounds):
            for case in cases if n % 2 == 0 else cases[::-1]:
                case.round()
        return [case.finish() for case in cases]
    finally:
        for case in cases:
            case.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--sizes", default="200,5000")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument(
        "--gap",
        type=float,
        default=2.0,
        help="seconds between rounds (updates come minutes apart; a publish leaves the next "
        "snapshot's links and the pruning of an old one to the time between them)",
    )
    ap.add_argument(
        "--keep",
        type=Path,
        help="keep each case's data directory (and PostgreSQL database) under this directory and "
        "reuse it in later runs (one untimed publish first brings it to the current code)",
    )
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--watch", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.watch:
        url, marker, timeout = args.watch
        _watch(url, marker.encode(), float(timeout))
        return 0
    if args.one:
        one_case(args.gap)
        return 0
    print(f"load average at start: {os.getloadavg()[0]:.1f}", flush=True)
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for db in dbs:
        for r in run_db(db, sizes, args.rounds, args.gap, args.keep):
            rows.append(r)
            print(
                f"{db:<9} {r['size']:>6} past incidents: post->served {r['served'] * 1000:6.0f} ms "
                f"(min {r['served_min'] * 1000:.0f}), publish {r['publish'] * 1000:6.0f} ms "
                f"(cpu {r['publish_cpu'] * 1000:.0f}), new files {r['new_bytes'] / 1e6:.2f} MB, "
                f"{r['files']} files; incremental == full: {'yes' if not r['differ'] else r['differ']} "
                f"(setup with a full publish {r['history_and_full_publish']:.0f} s, the first "
                f"publish of the process {r['first'] * 1000:.0f} ms)",
                flush=True,
            )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    status = 0
    for db in dbs:
        by = {r["size"]: r for r in rows if r["db"] == db}
        big, small = by.get(max(sizes)), by.get(min(sizes))
        if any(r["differ"] for r in by.values()):
            print(f"{db}: an incremental snapshot differs from a full render")
            status = 2
        if big and big["served"] > GOAL_SECONDS:
            print(f"{db}: goal missed: {big['served']:.2f} s > {GOAL_SECONDS} s at {big['size']}")
            status = max(status, 1)
        if big and small and big is not small:
            ratio = big["served"] / small["served"]
            print(f"{db}: {big['size']} / {small['size']} past incidents: {ratio:.2f}x "
                  f"(goal <= {GOAL_RATIO}x)")  # fmt: skip
            if ratio > GOAL_RATIO:
                status = max(status, 1)
        if any(r["new_bytes"] > GOAL_NEW_BYTES for r in by.values()):
            print(f"{db}: goal missed: a snapshot added more than 5 MB of new files")
            status = max(status, 1)
    return status


if __name__ == "__main__":
    sys.exit(main())
