"""The ``tidings`` command.

tidings up [--demo]     migrate, publish, then web + edge + worker + scheduler on one port
tidings serve           the web app (public site from memory + console, admin, API)
tidings worker          background tasks (publishing, later notifications)
tidings scheduler       periodic jobs (maintenance start/finish, stale snapshots)
tidings edge            the fast public-site server alone (no database needed)
tidings demo            load the demo company into the database
tidings catcher         the demo's local catcher of mail, SMS and webhooks (up --demo runs it)
tidings createadmin     create a staff superuser
tidings token           issue an API token for a staff user
tidings publish         render the status page snapshot now
tidings jobs [run NAME] list periodic jobs, or run one once
tidings manage ...      any Django management command
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    _django()
    from django.core.management import call_command

    call_command(*args)


#: Threads per web process. Django's views are synchronous: under an ASGI server each request
#: got a thread (and so a database connection) of its own, opened and dropped every time.
#: WSGI on a fixed pool keeps one connection per thread and costs half the CPU per request
#: (bench/api.py). A few threads per core keep it busy while others wait on the database;
#: granian warns above twice the cores plus one.
WEB_THREADS = min(8, 2 * (os.cpu_count() or 1) + 1)


def _web_command(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
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
    catcher: list[str] = []
    if args.demo:
        catcher, catcher_url = _demo_catcher(args)
    _manage("migrate", "--verbosity", "0")
    if args.demo:
        from tidings.demo.load import demo_webhook, load_demo

        created = load_demo(quiet=False)
        if created:
            print(created)
        demo_webhook(f"{catcher_url}/hooks/cyberdyne")
    from tidings.statuspage.publisher import publish

    publish(force=True)
    me = [sys.executable, "-m", "tidings.cli"]
    commands = {
        "web": _web_command(args.host, args.port, args.web_workers),
        "worker": [*me, "worker", "--interval", "0.2"],
        "scheduler": [*me, "scheduler"],
    }
    if catcher:
        commands["catcher"] = catcher
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104
    base = f"http://{shown}:{args.port}"
    print(
        f"\nTidings is up.\n  Status page:    {base}/\n  Statuspage API: {base}/api/v2/summary.json\n"
        f"  Staff console:  {base}/console/\n  Admin:          {base}/admin/\n  API docs:       {base}/api/v1/docs\n"
        + (
            f"  Demo outbox:    {base}/console/outbox (every message sent in the demo; "
            "nothing leaves this machine)\n"
            if catcher
            else ""
        )
        + "Press Ctrl-C to stop.",
        flush=True,
    )
    return _supervise(commands, essential={"web"})


def _supervise(commands: dict[str, list[str]], essential: set[str]) -> int:
    """Run the children until Ctrl-C or SIGTERM. A worker or scheduler that dies (say, while the
    database is down) is restarted with backoff; the web process serves the status page from
    memory, so only its own exit stops the tree."""
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    procs = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
    failures = dict.fromkeys(commands, 0)
    restart_at: dict[str, float] = {}
    code = 0
    while not stopping:
        for name, proc in list(procs.items()):
            if name in restart_at:
                if time.monotonic() >= restart_at.pop(name):
                    procs[name] = subprocess.Popen(commands[name])
                continue
            if proc.poll() is None:
                continue
            if name in essential:
                print(f"tidings: {name} exited with {proc.returncode}; stopping", file=sys.stderr)
                stopping, code = True, proc.returncode or 1
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


def _migrate_if_reachable() -> None:
    """Migrate; if the database cannot be reached, say so and carry on: the web app answers 503
    for what needs it until the database is back, and the status page serves from memory."""
    try:
        _manage("migrate", "--verbosity", "0")
    except Exception as exc:
        from tidings.core.unavailable import is_unavailable

        if not is_unavailable(exc):
            raise
        print(
            f"tidings: the database is unreachable ({exc.__class__.__name__}: {exc}); starting "
            "anyway. Pages that need it answer 503 until it is back; migrations run at the "
            "next start.",
            file=sys.stderr,
            flush=True,
        )


def cmd_serve(args: argparse.Namespace) -> int:
    _migrate_if_reachable()
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
    _django()
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
    _django()
    from tidings.core import jobs

    stop = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    jobs.loop(tick=args.tick, should_stop=lambda: stop)
    return 0


def cmd_edge(args: argparse.Namespace) -> int:
    # Deliberately no Django: the edge must start and serve while the database is down.
    from tidings.config import get_settings
    from tidings.statuspage.fastedge import serve

    s = get_settings()
    print(
        f"tidings edge: serving {s.snapshot_dir.resolve()} on http://{args.host}:{args.port}/ "
        f"with {args.processes} process(es)",
        flush=True,
    )
    serve(
        s.snapshot_dir,
        args.host,
        args.port,
        processes=args.processes,
        max_age=s.edge_max_age,
        reload_seconds=s.edge_reload_seconds,
    )
    return 0


def cmd_catcher(args: argparse.Namespace) -> int:
    """The demo's mail and HTTP catcher (started by ``tidings up --demo``)."""
    from tidings.config import get_settings
    from tidings.demo.catcher import run

    run(get_settings().demo_outbox, host="127.0.0.1", smtp_port=args.smtp_port,
        http_port=args.http_port)  # fmt: skip
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _manage("migrate", "--verbosity", "0")
    from tidings.demo.load import load_demo
    from tidings.statuspage.publisher import publish

    print(load_demo(quiet=False) or "The database has data already; the demo was not loaded.")
    publish(force=True)
    return 0


def cmd_createadmin(args: argparse.Namespace) -> int:
    _manage("migrate", "--verbosity", "0")
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
    _django()
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
    _django()
    from tidings.statuspage.publisher import publish

    version = publish(force=args.force)
    print(f"published v{version}" if version else "the snapshot is up to date")
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    _django()
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


def _token_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = sub.add_parser("token", help="issue an API token")
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
    token.set_defaults(fn=cmd_token)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tidings", description="Self-hosted incident communication.")
    sub = p.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run everything in one process tree")
    up.add_argument(
        "--demo", action="store_true", help="load the demo company first (empty database only)"
    )
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=8000)
    up.add_argument("--web-workers", type=int, default=1)
    up.set_defaults(fn=cmd_up)

    serve = sub.add_parser("serve", help="the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(fn=cmd_serve)

    worker = sub.add_parser("worker", help="deliveries and background tasks")
    worker.add_argument("--interval", type=float, default=0.5, help="idle poll interval, seconds")
    worker.add_argument("--lanes", type=int, default=2, help="batches in flight at once")
    worker.set_defaults(fn=cmd_worker)

    sched = sub.add_parser("scheduler", help="periodic jobs")
    sched.add_argument("--tick", type=float, default=1.0)
    sched.set_defaults(fn=cmd_scheduler)

    edge = sub.add_parser("edge", help="serve the public status site from memory")
    edge.add_argument("--host", default="127.0.0.1")
    edge.add_argument("--port", type=int, default=8080)
    edge.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    edge.set_defaults(fn=cmd_edge)

    sub.add_parser("demo", help="load demo data").set_defaults(fn=cmd_demo)

    catcher = sub.add_parser("catcher", help="the demo's catcher of mail, SMS and webhooks")
    catcher.add_argument("--smtp-port", type=int, default=8025)
    catcher.add_argument("--http-port", type=int, default=8026)
    catcher.set_defaults(fn=cmd_catcher)

    admin = sub.add_parser("createadmin", help="create a staff superuser")
    admin.add_argument("--username", default="admin")
    admin.add_argument("--email", default="")
    admin.add_argument(
        "--password", default="", help="default: TIDINGS_ADMIN_PASSWORD or a generated one"
    )
    admin.set_defaults(fn=cmd_createadmin)

    _token_parser(sub)

    pub = sub.add_parser("publish", help="publish the status page now")
    pub.add_argument("--force", action="store_true")
    pub.set_defaults(fn=cmd_publish)

    jobs = sub.add_parser("jobs", help="list or run periodic jobs")
    jobs.add_argument("action", nargs="?", choices=["list", "run"], default="list")
    jobs.add_argument("name", nargs="?")
    jobs.set_defaults(fn=cmd_jobs)

    manage = sub.add_parser("manage", help="a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(fn=cmd_manage)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result: int = args.fn(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
