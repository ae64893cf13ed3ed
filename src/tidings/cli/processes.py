"""The commands that run Tidings' processes: ``up`` (everything on one port), ``serve``,
``worker``, ``scheduler``, ``edge`` and the demo's ``catcher``."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tidings import launch
from tidings.cli.common import (
    Subcommands,
    command,
    django_setup,
    listen_options,
    manage,
    migrate_if_reachable,
)

#: Threads per web process. Django's views are synchronous: under an ASGI server each request
#: got a thread (and so a database connection) of its own, opened and dropped every time.
#: WSGI on a fixed pool keeps one connection per thread and costs half the CPU per request
#: (bench/api.py). A few threads per core keep it busy while others wait on the database;
#: granian warns above twice the cores plus one.
WEB_THREADS = min(8, 2 * (os.cpu_count() or 1) + 1)


def _web_command(host: str, port: int, workers: int, uds: Path | None = None) -> list[str]:
    """The one command that serves the Django app: on (host, port), or on the unix socket
    ``uds`` behind the edge in ``tidings up``."""
    bind = (
        ["--uds", str(uds), "--uds-permissions", "0o600"]
        if uds
        else ["--host", host, "--port", str(port)]
    )
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        *bind,
        "--workers",
        str(workers),
        "--blocking-threads",
        str(WEB_THREADS),
        # granian ends idle threads after 30 s by default, and their connections with them
        "--blocking-threads-idle-timeout",
        "600",
        "--log-level",
        "warning",
        "tidings.wsgi:application",
    ]


def _free_port(preferred: int) -> int:
    import socket

    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise OSError("no free port on 127.0.0.1")


def _demo_catcher(args: argparse.Namespace) -> tuple[list[str], str]:
    """Point every channel at the demo's catcher (set for this process and its children) and
    return the catcher's command and its HTTP address."""
    smtp_port = _free_port(args.port + 25)
    http_port = _free_port(args.port + 26)
    base = f"http://127.0.0.1:{http_port}"
    os.environ.update({
        "TIDINGS_DEMO": "true", "TIDINGS_SMTP_HOST": "127.0.0.1", "TIDINGS_SMTP_PORT": str(smtp_port),
        "TIDINGS_SMTP_SECURITY": "none", "TIDINGS_SMTP_USERNAME": "",
        "TIDINGS_TWILIO_API_BASE": f"{base}/twilio", "TIDINGS_TWILIO_ACCOUNT_SID": "ACdemo",
        "TIDINGS_TWILIO_AUTH_TOKEN": "demo", "TIDINGS_TWILIO_FROM": "+15550000001",
        "TIDINGS_TWILIO_WHATSAPP_FROM": "+15550000002", "TIDINGS_TELEGRAM_API_BASE": f"{base}/telegram",
        "TIDINGS_TELEGRAM_BOT_TOKEN": "demo", "TIDINGS_ALLOW_PRIVATE_TARGETS": "true",
    })  # fmt: skip
    command = [sys.executable, "-m", "tidings.cli", "catcher", "--smtp-port", str(smtp_port),
               "--http-port", str(http_port)]  # fmt: skip
    return command, base


def cmd_up(args: argparse.Namespace) -> int:
    launch.links_follow_port(args.host, args.port)
    if not launch.port_is_free("up", args.host, args.port):
        return 1
    catcher: list[str] = []
    if args.demo:
        catcher, catcher_url = _demo_catcher(args)
    manage("migrate", "--verbosity", "0")
    if args.demo:
        from tidings.demo.customers import demo_webhook
        from tidings.demo.load import load_demo

        created = load_demo(quiet=False)
        if created:
            print(created)
        demo_webhook(f"{catcher_url}/hooks/cyberdyne")
    from tidings.config import get_settings
    from tidings.statuspage.publisher import publish

    publish(force=True)
    settings = get_settings()
    sock = launch.web_socket(settings.data_dir)
    me = [sys.executable, "-m", "tidings.cli"]
    # The edge holds the public port: it answers the public pages from memory and passes
    # everything else to Django on a private socket (bench/README.md: why and how fast).
    commands = {
        "web": _web_command(args.host, args.port, args.web_workers, uds=sock),
        "edge": [
            *me, "edge", "--host", args.host, "--port", str(args.port),
            "--processes", str(args.edge_processes), "--upstream", f"unix:{sock}",
        ],
        "worker": [*me, "worker", "--interval", "0.2"],
        "scheduler": [*me, "scheduler"],
    }  # fmt: skip
    if catcher:
        commands["catcher"] = catcher
    # Django believes X-Forwarded-For from the edge, one hop more than from the outside.
    envs = {"web": {"TIDINGS_TRUSTED_PROXIES": str(settings.trusted_proxies + 1)}}
    base = launch.local_base(args.host, args.port)
    banner = (
        f"\nTidings is up.\n  Status page:    {base}/\n  Statuspage API: {base}/api/v2/summary.json\n"
        f"  Staff console:  {base}/console/\n  Admin:          {base}/admin/\n  API docs:       {base}/api/v1/docs\n"
        + (
            f"  Demo outbox:    {base}/console/outbox (every message sent in the demo; "
            "nothing leaves this machine)\n"
            if catcher
            else ""
        )
        + "Press Ctrl-C to stop."
    )
    return _supervise(
        commands, essential={"edge"}, envs=envs, ready={"web": lambda: launch.listening(sock)},
        started=lambda: print(banner, flush=True),
    )  # fmt: skip


class _StopOnSignal:
    """Ctrl-C or SIGTERM asks a long-running command to wind down: the handlers only set a
    flag, which its loops read between steps."""

    def __init__(self) -> None:
        self.asked = False
        signal.signal(signal.SIGINT, self._ask)
        signal.signal(signal.SIGTERM, self._ask)

    def _ask(self, signum: int, _frame: object) -> None:
        self.asked = True

    def requested(self) -> bool:
        return self.asked


def _supervise(
    commands: dict[str, list[str]],
    essential: set[str],
    envs: dict[str, dict[str, str]] | None = None,
    ready: dict[str, Callable[[], bool]] | None = None,
    started: Callable[[], None] | None = None,
) -> int:
    """Run the children until Ctrl-C or SIGTERM, in order; a child named in ``ready`` must
    answer before the next starts. A child that dies (the worker while the database is down,
    the web app) is restarted with backoff; only an ``essential`` one's exit stops the tree:
    the edge serves the status page from memory whatever else is down."""
    stop = _StopOnSignal()

    spawn = launch.launcher(commands, envs or {})
    procs = launch.start_in_order(list(commands), spawn, ready or {}, stop.requested, started)
    failures = dict.fromkeys(commands, 0)
    restart_at: dict[str, float] = {}
    code = 0
    while not stop.requested():
        for name, proc in list(procs.items()):
            if name in restart_at:
                if time.monotonic() >= restart_at.pop(name):
                    procs[name] = spawn(name)
                continue
            if proc.poll() is None:
                continue
            if name in essential:
                print(f"tidings: {name} exited with {proc.returncode}; stopping", file=sys.stderr)
                stop.asked, code = True, proc.returncode or 1
                break
            failures[name] += 1
            delay = min(30.0, 0.5 * 2 ** failures[name])
            print(
                f"tidings: {name} exited with {proc.returncode}; restarting in {delay:.0f}s",
                file=sys.stderr,
            )
            restart_at[name] = time.monotonic() + delay
        time.sleep(0.2)
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
    return code


def cmd_serve(args: argparse.Namespace) -> int:
    launch.links_follow_port(args.host, args.port)
    if not launch.port_is_free("serve", args.host, args.port):
        return 1
    migrate_if_reachable()
    os.execv(sys.executable, _web_command(args.host, args.port, args.workers))  # noqa: S606


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed: it spends about a third less CPU per SMTP message and
    HTTP request than the default loop (bench/fanout.py), CPU the sinks and the database need."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on POSIX
        return None
    return uvloop.new_event_loop


def cmd_worker(args: argparse.Namespace) -> int:
    """Deliveries on the event loop of this thread; background tasks (publishing) on another."""
    django_setup()
    import threading

    from django.db import connections
    from django_tasks_db.management.commands.db_worker import Worker

    from tidings.config import get_settings
    from tidings.notify.worker import DeliveryWorker

    tasks = Worker(
        queue_names=["*"], interval=args.interval, batch=False, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id=f"tasks-{os.getpid()}", excluded_queue_names=[],
    )  # fmt: skip

    def run_tasks() -> None:
        while tasks.running:
            try:
                tasks.run()
            except Exception as exc:  # the database may be down; try again shortly
                print(f"tidings worker: task loop error: {exc!r}", file=sys.stderr)
                connections.close_all()
                time.sleep(2)
        connections.close_all()

    thread = threading.Thread(target=run_tasks, name="tidings-tasks", daemon=True)
    thread.start()

    async def main() -> dict[str, int]:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        worker = DeliveryWorker(get_settings(), lanes=args.lanes, idle=args.interval)
        await worker.run(stop)
        return dict(worker.stats)

    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        stats = runner.run(main())
    tasks.running = False
    thread.join(timeout=30)
    print(f"tidings worker: stopped after {stats}", flush=True)
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    django_setup()
    from tidings.core import jobs

    stop = _StopOnSignal()
    import threading

    monitors = None
    if not args.no_monitors:  # the monitor checks run on their own event loop beside the jobs
        from tidings.config import get_settings
        from tidings.monitors.runner import run_forever

        monitors = threading.Thread(
            target=run_forever, args=(get_settings(), stop.requested), name="tidings-monitors"
        )
        monitors.start()
    jobs.loop(tick=args.tick, should_stop=stop.requested)
    if monitors is not None:  # let it record what it checked before the interpreter exits
        monitors.join(timeout=60)
    return 0


def cmd_edge(args: argparse.Namespace) -> int:
    # Deliberately no Django: the edge must start and serve while the database is down.
    from tidings.config import get_settings
    from tidings.statuspage.fastedge import EdgeOptions, serve

    if not launch.port_is_free("edge", args.host, args.port):
        return 1
    s = get_settings()
    print(
        f"tidings edge: serving {s.snapshot_dir.resolve()} on http://{args.host}:{args.port}/ "
        f"with {args.processes} process(es)"
        + (f", passing other paths to {args.upstream}" if args.upstream else ""),
        flush=True,
    )
    follower = None
    if args.source:  # another host publishes: keep the snapshot directory current with it
        from tidings.cli.storage import start_follower

        follower = start_follower(args.source)
    try:
        serve(
            EdgeOptions.from_settings(s, upstream=args.upstream),
            args.host,
            args.port,
            processes=args.processes,
        )
    finally:
        if follower is not None:
            follower.terminate()
            follower.wait(timeout=10)
    return 0


def cmd_catcher(args: argparse.Namespace) -> int:
    """The demo's mail and HTTP catcher (started by ``tidings up --demo``)."""
    from tidings.config import get_settings
    from tidings.demo.catcher import run

    run(get_settings().demo_outbox, host="127.0.0.1", smtp_port=args.smtp_port,
        http_port=args.http_port)  # fmt: skip
    return 0


def register(sub: Subcommands) -> None:

    up = command(sub, "up", cmd_up, help="run everything in one process tree")
    up.add_argument(
        "--demo", action="store_true", help="load the demo company first (empty database only)"
    )
    listen_options(up, port=8000)
    up.add_argument("--web-workers", type=int, default=1)
    up.add_argument("--edge-processes", type=int, default=os.cpu_count() or 1)

    serve = command(sub, "serve", cmd_serve, help="the web app")
    listen_options(serve, port=8000)
    serve.add_argument("--workers", type=int, default=1)

    worker = command(sub, "worker", cmd_worker, help="deliveries and background tasks")
    worker.add_argument("--interval", type=float, default=0.5, help="idle poll interval, seconds")
    worker.add_argument("--lanes", type=int, default=2, help="batches in flight at once")

    sched = command(sub, "scheduler", cmd_scheduler, help="periodic jobs")
    sched.add_argument("--tick", type=float, default=1.0)
    sched.add_argument("--no-monitors", action="store_true", help="run periodic jobs only")

    edge = command(sub, "edge", cmd_edge, help="serve the public status site from memory")
    listen_options(edge, port=8080)
    edge.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    edge.add_argument(
        "--upstream",
        default="",
        help="pass what the snapshot does not hold to this app (unix:/path or host:port)",
    )
    edge.add_argument(
        "--source",
        default="",
        help="s3://bucket/prefix: follow the snapshots published there (see tidings sync)",
    )

    catcher = command(
        sub, "catcher", cmd_catcher, help="the demo's catcher of mail, SMS and webhooks"
    )
    catcher.add_argument("--smtp-port", type=int, default=8025)
    catcher.add_argument("--http-port", type=int, default=8026)
