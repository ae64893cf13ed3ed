"""Staff API benchmark: writes per second and read latency with 8 concurrent clients, on
PostgreSQL, against a real ``tidings serve`` with a ``tidings worker`` publishing behind it.

    .venv/bin/python bench/api.py                 # 15 s of writes, 8 clients
    .venv/bin/python bench/api.py --smoke         # 3 s: a quick check that it all works
    .venv/bin/python bench/api.py --duration 30 --clients 16

The write mix, on a few incidents and components shared by every client (so rows overlap and
are taken in different orders): incident updates that also set two component statuses (listed
in a random order), component status changes, and FAQ entries. Reads: ``GET /api/v1/components``
and ``GET /api/v1/incidents``, timed one at a time on an idle server, then by one reader while
the writers run. Goals: >= 200 writes/s and reads < 5 ms (p50, idle). Non-2xx answers and
PostgreSQL deadlocks (``pg_stat_database.deadlocks``) must be 0, every accepted write must be in
the database, and the public page must end up showing the last component statuses.
Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust; ``BENCH_PG`` to change).
Exit status: 0 goals met, 1 a goal missed (never with ``--smoke``), 2 an error or a lost write.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from _common import ROOT, free_port, wait_port  # bench/, the script's folder, is on sys.path

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", "tidings_api_bench")  # another name: runs side by side
GOAL_WRITES = 200.0
GOAL_READ_MS = 5.0
READS = ("/components", "/incidents")
STATUSES = ("degraded_performance", "partial_outage", "major_outage", "operational")
STEPS = ("investigating", "identified", "monitoring")


def psql(sql: str, db: str = "postgres") -> str:
    out = subprocess.run(
        ["psql", f"{PG}/{db}", "-qtAc", sql], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def tidings(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "tidings.cli", *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def _stat(pid: int) -> list[str]:
    """pid, command name, then the fields after it (the name may hold spaces and brackets)."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    head, _, rest = raw.rpartition(")")
    number, _, name = head.partition(" (")
    return [number, name, *rest.split()]


def cpu_by_group(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each process tree in ``roots`` (this process: by itself)
    and by every ``postgres`` process (other users of the server included: an upper bound)."""
    procs = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                procs[int(entry.name)] = _stat(int(entry.name))
            except (OSError, ValueError):
                continue
    tick = os.sysconf("SC_CLK_TCK")

    def cpu(fields: list[str]) -> float:  # utime + stime of the process and its reaped children
        return sum(int(fields[i]) for i in (13, 14, 15, 16)) / tick

    out = {"postgres": sum(cpu(f) for f in procs.values() if f[1] == "postgres")}
    for name, root in roots.items():
        members, grew = {root}, root != os.getpid()
        while grew:
            more = {pid for pid, f in procs.items() if int(f[3]) in members} - members
            members |= more
            grew = bool(more)
        out[name] = sum(cpu(procs[p]) for p in members if p in procs)
    return out


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Client:
    """Keep-alive JSON calls with Dana's token; counts every answer by status."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str) -> None:
        self.session, self.base = session, base + "/api/v1"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.codes: Counter[int] = Counter()
        self.errors: list[str] = []

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
        started = time.perf_counter()
        async with self.session.request(
            method, self.base + path, json=body, headers=self.headers
        ) as resp:
            data = await resp.read()
            took = time.perf_counter() - started
        self.codes[resp.status] += 1
        if resp.status >= 300 and len(self.errors) < 5:
            self.errors.append(f"{method} {path} -> {resp.status} {data[:200]!r}")
        return resp.status, data, took

    async def json(self, method: str, path: str, body: Any = None) -> Any:
        status, data, _ = await self.call(method, path, body)
        if status >= 300:
            raise SystemExit(f"{method} {path} -> {status}: {data[:300]!r}")
        return json.loads(data)


async def seed(c: Client, components: int, incidents: int) -> tuple[list[str], list[str]]:
    comp_ids = [
        (await c.json("POST", "/components", {"name": f"Service {n}"}))["id"]
        for n in range(components)
    ]
    inc_ids = []
    for n in range(incidents):
        inc = await c.json(
            "POST",
            "/incidents",
            {"title": f"Trouble {n}", "body": "Looking.", "severity": "SEV2", "audience": "none"},
        )
        inc_ids.append(inc["id"])
        for step in range(8):  # a realistic timeline, so the incident list has something to say
            await c.json(
                "POST",
                f"/incidents/{inc['id']}/updates",
                {"status": STEPS[step % 3], "body": f"Update {step}.", "audience": "none"},
            )
    return comp_ids, inc_ids


async def read_latency(c: Client, seconds: float, pause: float = 0.0) -> dict[str, list[float]]:
    """One reader, one request at a time: the latency a person at the console sees."""
    took: dict[str, list[float]] = {p: [] for p in READS}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in READS:
            status, _, t = await c.call("GET", path)
            if status == 200:
                took[path].append(t * 1000)
        if pause:
            await asyncio.sleep(pause)
    return took


class Writes:
    def __init__(self) -> None:
        self.ok: Counter[str] = Counter()
        self.latency: list[float] = []


#: Numbers the update texts.
SEQ = itertools.count(1)


async def writer(
    c: Client, w: Writes, comps: list[str], incs: list[str], stop_at: float, rng: random.Random
) -> None:
    while time.monotonic() < stop_at:
        pick = rng.random()
        if pick < 0.5:
            a, b = rng.sample(comps[:6], 2)  # few components: overlapping rows, random order
            kind, method, path = "update", "POST", f"/incidents/{rng.choice(incs)}/updates"
            n = next(SEQ)
            body: dict[str, Any] = {
                "status": rng.choice(STEPS),
                # a new text each time: a word-for-word repeat is refused (honesty checks)
                "body": {"en": f"We are on it ({n}).", "he": f"אנחנו מטפלים בזה ({n})."},
                "components": {a: rng.choice(STATUSES), b: rng.choice(STATUSES)},
                "audience": "none",
            }
        elif pick < 0.85:
            kind, method, path = "component", "PATCH", f"/components/{rng.choice(comps)}"
            body = {"status": rng.choice(STATUSES)}
        else:
            kind, method, path = "faq", "POST", f"/incidents/{rng.choice(incs)}/faq"
            body = {"question": "Is data lost?", "answer": "No.", "position": rng.randint(0, 9)}
        status, _, took = await c.call(method, path, body)
        w.latency.append(took * 1000)
        if status < 300:
            w.ok[kind] += 1


def line(name: str, ms: list[float]) -> str:
    return (
        f"  {name:<38} p50 {pct(ms, 0.5):6.2f} ms  p99 {pct(ms, 0.99):6.2f} ms"
        f"  ({len(ms)} requests)"
    )


async def run(
    args: argparse.Namespace, base: str, token: str, pids: dict[str, int]
) -> tuple[dict[str, Any], int]:
    conn = aiohttp.TCPConnector(limit=args.clients + 2)
    async with aiohttp.ClientSession(connector=conn) as session:
        admin = Client(session, base, token)
        comps, incs = await seed(admin, components=10, incidents=3)
        await read_latency(admin, 1.0)  # warm up every worker thread and connection
        idle = await read_latency(admin, args.idle)
        deadlocks_before = int(psql(f"SELECT deadlocks FROM pg_stat_database WHERE datname='{DB}'"))
        before = {
            "published": int(psql("SELECT published FROM core_publishstate", DB)),
            "updates": int(psql("SELECT count(*) FROM incidents_incidentupdate", DB)),
            "faq": int(psql("SELECT count(*) FROM incidents_faqentry", DB)),
        }
        writes = Writes()
        clients = [Client(session, base, token) for _ in range(args.clients)]
        reader = Client(session, base, token)
        stop_at = time.monotonic() + args.duration
        cpu_before = cpu_by_group(pids)
        started = time.perf_counter()
        rng = random.Random(12)
        busy_reads, *_ = await asyncio.gather(
            read_latency(reader, args.duration, pause=0.1),
            *(
                writer(c, writes, comps, incs, stop_at, random.Random(rng.random()))
                for c in clients
            ),
        )
        elapsed = time.perf_counter() - started
        cpu_after = cpu_by_group(pids)
        codes = sum((c.codes for c in clients), Counter()) + reader.codes
        errors = [e for c in (*clients, reader) for e in c.errors]
        await asyncio.sleep(1.5)  # PostgreSQL flushes its per-database counters about once a second
        deadlocks = (
            int(psql(f"SELECT deadlocks FROM pg_stat_database WHERE datname='{DB}'"))
            - deadlocks_before
        )
        stored = {
            "updates": int(psql("SELECT count(*) FROM incidents_incidentupdate", DB))
            - before["updates"],
            "faq": int(psql("SELECT count(*) FROM incidents_faqentry", DB)) - before["faq"],
            "publishes": int(psql("SELECT published FROM core_publishstate", DB))
            - before["published"],
        }
        lag = await published_lag(admin, session, base)
    total = sum(writes.ok.values())
    report = {
        "idle": idle,
        "busy": busy_reads,
        "writes": writes,
        "elapsed": elapsed,
        "rate": total / elapsed,
        "codes": codes,
        "errors": errors,
        "deadlocks": deadlocks,
        "stored": stored,
        "lag": lag,
        "cpu": {k: (cpu_after[k] - cpu_before[k]) / elapsed for k in cpu_after},
    }
    lost = stored["updates"] != writes.ok["update"] or stored["faq"] != writes.ok["faq"]
    bad = sum(n for code, n in codes.items() if code >= 300)
    return report, 2 if lost or bad or deadlocks or lag is None else 0


async def published_lag(admin: Client, session: aiohttp.ClientSession, base: str) -> float | None:
    """Seconds until the public Statuspage JSON shows every component as the API does."""
    started = time.monotonic()
    want = {c["id"]: c["status"] for c in await admin.json("GET", "/components")}
    while time.monotonic() - started < 30:
        async with session.get(base + "/api/v2/components.json") as resp:
            if resp.status == 200:
                doc = await resp.json()
                shown = {c["id"]: c["status"] for c in doc["components"] if not c["group"]}
                if shown == want:
                    return time.monotonic() - started
        await asyncio.sleep(0.1)
    return None


def print_report(r: dict[str, Any], args: argparse.Namespace) -> bool:
    w: Writes = r["writes"]
    print(
        f"\nwrites with {args.clients} clients for {r['elapsed']:.1f} s: {r['rate']:.0f}/s "
        f"(goal {GOAL_WRITES:.0f}/s)  {dict(w.ok)}"
    )
    print(line("write latency", w.latency))
    print("reads, one at a time, idle:")
    for path, ms in r["idle"].items():
        print(line(f"GET /api/v1{path}", ms))
    print("reads, one at a time, while writing:")
    for path, ms in r["busy"].items():
        print(line(f"GET /api/v1{path}", ms))
    print(
        "CPU while writing (cores busy): "
        + ", ".join(f"{name} {share:.2f}" for name, share in r["cpu"].items())
    )
    print(f"answers: {dict(sorted(r['codes'].items()))}; PostgreSQL deadlocks: {r['deadlocks']}")
    for e in r["errors"]:
        print(f"  {e}")
    print(
        f"stored: {r['stored']['updates']} updates, {r['stored']['faq']} FAQ entries "
        f"(accepted {w.ok['update']}, {w.ok['faq']}); "
        f"{r['stored']['publishes']} snapshots published meanwhile"
    )
    lag = r["lag"]
    print(
        "public page shows the final component statuses "
        + (f"{lag:.2f} s after the last write" if lag is not None else "NEVER (30 s)")
    )
    idle_p50 = max(pct(ms, 0.5) for ms in r["idle"].values())
    met = r["rate"] >= GOAL_WRITES and idle_p50 < GOAL_READ_MS
    print(
        f"goals: writes {r['rate']:.0f}/s vs {GOAL_WRITES:.0f}/s, idle read p50 {idle_p50:.2f} ms"
        f" vs {GOAL_READ_MS:.0f} ms: {'met' if met else 'MISSED'}"
    )
    return met


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="3 s of writes; never fails on goals")
    p.add_argument("--duration", type=float, default=15.0, help="seconds of writes")
    p.add_argument("--idle", type=float, default=3.0, help="seconds of idle reads")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--web-workers", type=int, default=2, help="tidings serve --workers")
    args = p.parse_args()
    if args.smoke:
        args.duration, args.idle = 3.0, 1.0
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores shared: figures are rough)")
    psql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{DB}"')
    tmp = Path(tempfile.mkdtemp(prefix="tidings-api-bench-"))
    env = {
        **os.environ,
        "TIDINGS_DATABASE_URL": f"{PG}/{DB}",
        "TIDINGS_DATA_DIR": str(tmp / "data"),
        "TIDINGS_LOG_LEVEL": "WARNING",
        "TIDINGS_SECRET_KEY": "bench-" + "x" * 50,
    }
    procs: list[subprocess.Popen[bytes]] = []
    try:
        tidings(env, "createadmin", "--username", "dana", "--password", "bench-pw")
        token = tidings(env, "token", "--user", "dana", "--name", "bench")
        tidings(env, "publish", "--force")
        port = free_port()
        log = open(tmp / "serve.log", "wb")  # noqa: SIM115
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tidings.cli",
                    "serve",
                    "--port",
                    str(port),
                    "--workers",
                    str(args.web_workers),
                ],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "tidings.cli", "worker", "--interval", "0.2"],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        wait_port(port, proc=procs[0])
        pids = {"web": procs[0].pid, "worker": procs[1].pid, "bench": os.getpid()}
        report, code = asyncio.run(run(args, f"http://127.0.0.1:{port}", token, pids))
        met = print_report(report, args)
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
        if code:
            print("FAILED: a request was refused, a deadlock happened, or a change was lost")
            print((tmp / "serve.log").read_text(errors="replace")[-3000:])
            return code
        return 0 if met or args.smoke else 1
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(tmp, ignore_errors=True)
        psql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
