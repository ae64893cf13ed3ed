"""Status page serving benchmark: nginx (gzip_static) vs ``tidings edge`` vs ``tidings up``
(and optionally ``tidings serve`` and granian's RSGI serving the same answers).

    .venv/bin/python bench/statuspage.py [--duration 10] [--no-with-asgi] [--with-granian]
                                         [--rounds 5] [--smoke]

Loads the demo into a temporary data dir, serves its snapshot with nginx, the edge (2
processes), ``tidings up`` (the edge in front of Django, 2 edge processes) and optionally the
full ASGI app (granian, 2 workers) and granian RSGI (2 workers), checks they all serve the same
bytes, drives each with wrk on loopback, then times how long a posted update takes to show on
each. Exit status: 0 all good, 1 a target missed (never with --smoke), 2 an error.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

PATHS = ("/", "/api/v2/summary.json")
CONNECTIONS = (64, 256)
# req/s over nginx's at 256 connections on every path, and p99 there, per server with a target
MIN_RATIO = {"edge": 1.0, "up": 0.8}
MAX_P99_MS = 20.0
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}

NGINX_CONF = """{user}daemon off; master_process on; worker_processes 2;
pid {tmp}/nginx.pid; error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    types {{ text/html html; application/json json; application/atom+xml atom; text/css css;
             application/rss+xml rss; text/calendar ics; text/javascript js; image/svg+xml svg; }}
    default_type application/octet-stream;
    access_log off; sendfile on; tcp_nopush on; gzip off; gzip_static on;
    keepalive_requests 1000000;  # no reconnects mid-run: the edge never closes either
    {cache}
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fcgi;
    uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {root};
        location / {{ try_files $uri $uri.html $uri/index.html =404; }}
    }}
}}
"""


class BenchError(Exception):
    pass


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Result:
    server: str
    path: str
    conns: int
    rps: float
    p99_ms: float
    errors: str  # wrk's "Non-2xx or 3xx responses" / "Socket errors" lines, if any


def find(cmd: str) -> str:
    return shutil.which(cmd) or shutil.which(cmd, path="/usr/sbin:/sbin") or cmd


def ensure_tools() -> None:
    if not (shutil.which(find("nginx")) and shutil.which(find("wrk"))):
        print("bench: installing nginx and wrk", flush=True)
        subprocess.run(["sh", "-c", "apt-get update && apt-get install -y nginx wrk"], check=True)


def tidings_cmd() -> str:
    """The ``tidings`` of this venv: the publish step needs tidings importable here too."""
    cmd = Path(sys.executable).parent / "tidings"
    if not cmd.exists():
        raise BenchError(f"no {cmd}: run this with the project's venv python (.venv/bin/python)")
    return str(cmd)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(name: str, cmd: list[str], port: int, tmp: Path) -> Server:
    log = tmp / f"{name}.log"
    with log.open("wb") as out:  # the child keeps its own descriptor
        # start_new_session: its own process group, so that stop_all kills it whole
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return Server(name, port, proc, log)


def wait_ready(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            tail = server.log.read_text(errors="replace")[-2000:]
            raise BenchError(f"{server.name} exited with {server.proc.returncode}:\n{tail}")
        with contextlib.suppress(OSError), urllib.request.urlopen(server.base, timeout=1) as r:
            if r.status == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"{server.name} did not answer on {server.base} within {timeout:.0f} s")


def stop_all(servers: list[Server], grace: float = 8.0) -> None:
    """SIGTERM each process group, then SIGKILL whatever is left of it (forked workers too)."""
    for s in servers:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(s.proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for s in servers:
        with contextlib.suppress(subprocess.TimeoutExpired):
            s.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(s.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            s.proc.wait(timeout=2)


def fetch(url: str) -> tuple[str, bytes]:
    """GET with ``Accept-Encoding: gzip`` like wrk; the encoding served and the decoded body."""
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            status, body = r.status, r.read()
            encoding = r.headers.get("Content-Encoding", "identity")
    except OSError as e:
        raise BenchError(f"GET {url}: {e}") from e
    if status != 200:
        raise BenchError(f"GET {url}: {status}")
    return encoding, gzip.decompress(body) if encoding == "gzip" else body


def verify(servers: list[Server], path: str) -> str:
    """Every server answers 200 with the encoding and decoded body of the first (nginx)."""
    ref_enc, ref_body = fetch(servers[0].base + path)
    for s in servers[1:]:
        enc, body = fetch(s.base + path)
        if body != ref_body or enc != ref_enc:
            raise BenchError(
                f"{path}: {s.name} serves {enc}/{len(body)} bytes, "
                f"{servers[0].name} {ref_enc}/{len(ref_body)} bytes: they differ"
            )
    names = ", ".join(s.name for s in servers)
    return f"{path}: {len(ref_body)} bytes ({ref_enc}), the same from {names}"


def run_wrk(server: Server, path: str, conns: int, duration: float) -> Result:
    cmd = [
        find("wrk"),
        "-t2",
        f"-c{conns}",
        f"-d{duration:g}s",
        "--latency",
        "-H",
        "Accept-Encoding: gzip",
        server.base + path,
    ]
    try:
        out = subprocess.run(
            cmd, capture_output=True, text=True, timeout=duration + 60, check=True
        ).stdout
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        raise BenchError(f"{' '.join(cmd)} failed: {e}") from e
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    if rps is None or p99 is None:
        raise BenchError(f"cannot parse wrk output:\n{out}")
    errors = re.findall(r"^\s*(Non-2xx or 3xx responses: \d+|Socket errors: .*?)\s*$", out, re.M)
    return Result(
        server.name,
        path,
        conns,
        float(rps.group(1)),
        float(p99.group(1)) * UNITS_MS[p99.group(2)],
        "; ".join(errors),
    )


def drive(
    servers: list[Server],
    paths: tuple[str, ...],
    conns: tuple[int, ...],
    duration: float,
    repeat: int,
) -> list[Result]:
    """wrk against every server, path and connection count, ``repeat`` times interleaved (so
    that a busy moment of the machine hits every server), the median of each."""
    results: list[Result] = []
    for path in paths:
        for c in conns:
            runs: dict[str, list[Result]] = {s.name: [] for s in servers}
            for _ in range(repeat):
                for s in servers:
                    print(f"bench: wrk {s.name} {path} -c{c} -d{duration:g}s", flush=True)
                    runs[s.name].append(run_wrk(s, path, c, duration))
            results += [median_of(xs) for xs in runs.values()]
    return results


def median_of(runs: list[Result]) -> Result:
    """The run with the median req/s, reporting the median p99 of all runs and every error."""
    ordered = sorted(runs, key=lambda r: r.rps)
    mid = ordered[len(ordered) // 2]
    errors = "; ".join(r.errors for r in runs if r.errors)
    p99 = statistics.median(r.p99_ms for r in runs)
    return Result(mid.server, mid.path, mid.conns, mid.rps, p99, errors)


def report(results: list[Result]) -> bool:
    """Print the table; True when every server with a target met it."""
    nginx = {(r.path, r.conns): r.rps for r in results if r.server == "nginx"}
    ok = True
    top = max(CONNECTIONS)
    print(
        f"\n{'server':<8} {'path':<22} {'conns':>5} {'req/s':>8} {'p99 ms':>7} {'/nginx':>6}"
        "  verdict"
    )
    for r in results:
        ratio = r.rps / nginx[(r.path, r.conns)]
        verdict = ""
        if r.server in MIN_RATIO and r.conns == top:
            misses = [f"ratio < {MIN_RATIO[r.server]}"] if ratio < MIN_RATIO[r.server] else []
            if r.p99_ms >= MAX_P99_MS:
                misses.append(f"p99 >= {MAX_P99_MS:g} ms")
            verdict = "FAIL: " + ", ".join(misses) if misses else "PASS"
            ok = ok and not misses
        shown = "-" if r.server == "nginx" else f"{ratio:.2f}x"
        line = f"{r.server:<8} {r.path:<22} {r.conns:>5} {r.rps:>8.0f} {r.p99_ms:>7.2f} {shown:>6}"
        print(f"{line}  {verdict}  {r.errors}".rstrip())
    goals = ", ".join(f"{name}/nginx >= {ratio}" for name, ratio in MIN_RATIO.items())
    print(
        f"targets at {top} connections on every path: {goals}, p99 < {MAX_P99_MS:g} ms: "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return ok


def watch(servers: list[Server], marker: bytes, seen: dict[str, float], timeout: float) -> None:
    """Poll ``/`` on every server each 10 ms; note when each first serves ``marker``."""
    deadline = time.perf_counter() + timeout
    while len(seen) < len(servers) and time.perf_counter() < deadline:
        for s in (s for s in servers if s.name not in seen):
            with contextlib.suppress(OSError), urllib.request.urlopen(s.base + "/", timeout=2) as r:
                if marker in r.read():
                    seen[s.name] = time.perf_counter()
        time.sleep(0.01)


def publish_latency(servers: list[Server], rounds: int) -> None:
    """In this process: post an update to the demo's active incident inside a transaction, then
    publish; time until each server's ``/`` shows the update's text."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")
    import django

    django.setup()
    from django.db import transaction

    from tidings.incidents.models import Incident
    from tidings.incidents.rules import ACTIVE_INCIDENT_STATES
    from tidings.incidents.services import get_incident, post_update
    from tidings.statuspage.publisher import publish

    active = Incident.objects.filter(
        kind="incident", visibility="public", status__in=ACTIVE_INCIDENT_STATES
    )
    public_id = active.values_list("public_id", flat=True).first()
    if public_id is None:
        raise BenchError("the demo has no active public incident to post to")
    times: dict[str, list[float]] = {name: [] for name in ["publish()", *(s.name for s in servers)]}
    for _ in range(rounds):
        marker = f"bench-{uuid.uuid4().hex[:12]}"
        seen: dict[str, float] = {}
        poller = threading.Thread(
            target=watch, args=(servers, marker.encode(), seen, 20.0), daemon=True
        )
        poller.start()
        t0 = time.perf_counter()
        with transaction.atomic():
            incident = get_incident(public_id)
            body = {
                "en": f"Still working on it ({marker}).",
                "he": f"עדיין עובדים על זה ({marker}).",
            }
            post_update(actor="bench", incident=incident, status=incident.status, body=body)
        publish()
        times["publish()"].append(time.perf_counter() - t0)
        poller.join()
        if missing := [s.name for s in servers if s.name not in seen]:
            raise BenchError(f"the update never showed on {', '.join(missing)} within 20 s")
        for name, at in seen.items():
            times[name].append(at - t0)
    print(f"\npublish latency, ms: post an update -> its text served on / ({rounds} round(s))")
    print(f"{'':<10} {'min':>6} {'median':>6} {'max':>6}")
    for name, xs in times.items():
        lo, mid, hi = (1000 * f(xs) for f in (min, statistics.median, max))
        print(f"{name:<10} {lo:>6.0f} {mid:>6.0f} {hi:>6.0f}")


def start_servers(
    servers: list[Server], tidings: str, tmp: Path, data: Path, args: argparse.Namespace
) -> None:
    """Start nginx, the edge, ``tidings up`` and the optional peers, adding each to ``servers``
    (for cleanup)."""
    ngx, port = tmp / "nginx", free_port()
    ngx.mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""  # the data dir is private (0700) to us
    # Caching open files makes nginx faster but lets it serve the old snapshot for up to 1 s.
    cache = "open_file_cache max=1000 inactive=20s; open_file_cache_valid 1s;"
    (ngx / "nginx.conf").write_text(
        NGINX_CONF.format(
            user=user,
            tmp=ngx,
            port=port,
            root=data / "snapshots" / "current",
            cache=cache if args.nginx_open_file_cache else "",
        )
    )
    nginx = [
        find("nginx"),
        "-p",
        f"{ngx}/",
        "-e",
        str(ngx / "error.log"),
        "-c",
        str(ngx / "nginx.conf"),
    ]
    servers.append(start("nginx", nginx, port, tmp))
    for name, cmd, flag in (("edge", "edge", "--processes"), ("up", "up", "--edge-processes")):
        if name == "edge" or args.with_up:
            port = free_port()
            argv = [tidings, cmd, "--host", "127.0.0.1", "--port", str(port), flag, "2"]
            servers.append(start(name, argv, port, tmp))
    if args.with_asgi:
        port = free_port()
        argv = [tidings, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
        servers.append(start("asgi", argv, port, tmp))
    if args.with_granian:
        port = free_port()
        argv = [
            sys.executable, "-m", "granian", "--interface", "rsgi", "--http", "1", "--no-ws",
            "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
            "--log-level", "warning", "--working-dir", str(Path(__file__).parent),
            "rsgi_edge:app",
        ]  # fmt: skip
        servers.append(start("granian", argv, port, tmp))


def main() -> int:
    p = argparse.ArgumentParser(description="nginx vs tidings edge vs tidings serve, on loopback")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run (default 10)")
    p.add_argument(
        "--with-asgi",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also benchmark `tidings serve` (granian: the edge in front of Django)",
    )
    p.add_argument(
        "--with-up",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also benchmark `tidings up` (the edge on the public port, Django behind it)",
    )
    p.add_argument(
        "--with-granian",
        action="store_true",
        help="also benchmark granian's RSGI interface serving the edge's answers (a peer)",
    )
    p.add_argument(
        "--nginx-open-file-cache",
        action="store_true",
        help="give nginx an open_file_cache (a stronger baseline; default off)",
    )
    p.add_argument("--rounds", type=int, default=5, help="publish latency rounds (default 5)")
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="wrk runs per server and case, interleaved; the median is reported (default 1)",
    )
    p.add_argument(
        "--smoke",
        action="store_true",
        help="1 s runs, 64 connections, / only; exit non-zero on errors only",
    )
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = p.parse_args()
    duration, rounds = (1.0, 1) if args.smoke else (args.duration, args.rounds)
    conns: tuple[int, ...] = CONNECTIONS[:1] if args.smoke else CONNECTIONS
    paths: tuple[str, ...] = PATHS[:1] if args.smoke else PATHS
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally below runs

    tmp = Path(tempfile.mkdtemp(prefix="tidings-bench-"))
    data = tmp / "data"
    os.environ["TIDINGS_DATA_DIR"] = str(data)  # for the children and for django.setup() here
    os.environ.setdefault("TIDINGS_LOG_LEVEL", "WARNING")
    servers: list[Server] = []
    try:
        ensure_tools()
        tidings = tidings_cmd()
        load = os.getloadavg()[0]
        if load > 0.5:  # client and servers share this machine's cores with whatever else runs
            print(f"bench: warning: load average {load:.2f} before the start; figures will be low")
        print(f"bench: loading the demo into {data}", flush=True)
        demo = subprocess.run(
            [tidings, "demo"], capture_output=True, text=True, timeout=300, check=False
        )
        if demo.returncode != 0:
            raise BenchError(f"tidings demo failed:\n{demo.stdout}{demo.stderr}")
        start_servers(servers, tidings, tmp, data, args)
        for s in servers:
            wait_ready(s)
        print("bench: " + "; ".join(f"{s.name} on {s.base}" for s in servers))
        for path in paths:
            print("bench: " + verify(servers, path))
        results = drive(servers, paths, conns, duration, args.repeat)
        met = report(results)
        publish_latency(servers, rounds)
        bad = [f"{r.server} {r.path} -c{r.conns}: {r.errors}" for r in results if r.errors]
        if bad:
            raise BenchError(f"wrk saw errors: {'; '.join(bad)}")
        return 0 if met or args.smoke else 1
    except BenchError as e:
        print(f"bench: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        stop_all(servers)
        if args.keep:
            print(f"bench: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
