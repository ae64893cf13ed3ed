"""``tidings alerts ...`` and ``tidings monitors ...``: thin callers of the services."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from tidings.cli.common import Subcommands, command, django_setup

T = TypeVar("T")


def _pairs(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"tidings: {what} is KEY=VALUE, not {item!r}")
        out[key.strip()] = value.strip()
    return out


def _created(write: Callable[[], T]) -> T | None:
    """``write`` run in one transaction: what it made, or None when the services refused it,
    their reason said on stderr (the command then exits 2)."""
    from django.db import transaction

    from tidings.core.errors import DomainError

    try:
        with transaction.atomic():
            return write()
    except DomainError as exc:
        print(f"tidings: {exc.message}", file=sys.stderr)
        return None


def cmd_add_source(args: argparse.Namespace) -> int:
    django_setup()
    from tidings.monitors import services

    source = _created(lambda: services.create_source(
        actor="cli", kind=args.kind, name=args.name, components=args.component,
        publish_after=args.publish_after, label_names=args.label or None,
        severity_map=_pairs(args.severity, "--severity") if args.severity else None,
    ))  # fmt: skip
    if source is None:
        return 2
    print(
        f"Alert source {source.name!r} ({source.kind}), id {source.public_id}; first update waits {source.publish_after} s."
    )
    print("Paste this URL into the sender's webhook configuration:")
    print(services.receiver_url(source))
    return 0


def cmd_list_sources(args: argparse.Namespace) -> int:
    django_setup()
    from tidings.monitors import services
    from tidings.monitors.models import AlertSource

    for s in AlertSource.objects.all():
        print(
            f"{s.public_id}  {s.kind:<12} {s.name:<24} waits {s.publish_after:>4}s  {services.receiver_url(s)}"
        )
    return 0


def cmd_add_hook(args: argparse.Namespace) -> int:
    django_setup()
    from tidings.monitors import hooks

    hook = _created(lambda: hooks.create_hook(
        actor="cli", kind=args.kind, url=args.url, language=args.language
    ))  # fmt: skip
    if hook is None:
        return 2
    print(f"Event hook {hook.public_id} ({hook.kind}) -> {hook.url}")
    if hook.kind == "webhook":
        print(f"Signing secret (X-Tidings-Signature): {hook.secret}")
    return 0


def _config(args: argparse.Namespace) -> dict[str, Any]:
    names = ("method", "statuses", "keyword", "keyword_absent", "max_latency_ms", "tls_expiry_days",
             "timeout", "record", "expect", "server", "grace", "down_status")  # fmt: skip
    return {n: getattr(args, n) for n in names if getattr(args, n, None) not in (None, False, "")}


def cmd_add_monitor(args: argparse.Namespace) -> int:
    django_setup()
    from tidings.monitors import checks, services
    from tidings.monitors.kinds.registry import validate

    monitor = _created(lambda: checks.create_monitor(
        actor="cli", kind=args.kind, name=args.name, target=getattr(args, "target", ""),
        component=args.component, interval=args.interval, failures=args.failures,
        successes=args.successes, publish_after=args.publish_after, config=_config(args),
        validate=validate,
    ))  # fmt: skip
    if monitor is None:
        return 2
    print(
        f"Monitor {monitor.name!r} ({monitor.kind}), id {monitor.public_id}, every {monitor.interval} s."
    )
    if monitor.kind == "heartbeat":
        print("Have the job ping this URL (GET or POST) at least once per interval:")
        print(services.heartbeat_url(monitor))
    return 0


def cmd_list_monitors(args: argparse.Namespace) -> int:
    django_setup()
    from tidings.monitors.models import Monitor

    for m in Monitor.objects.select_related("component"):
        last = "never checked" if m.last_checked_at is None else (
            f"{'ok' if m.last_ok else 'FAIL ' + m.last_error} {m.last_latency_ms} ms at {m.last_checked_at:%H:%M:%S}")  # fmt: skip
        print(f"{m.public_id}  {m.kind:<9} {m.name:<24} {m.state:<7} {m.component.slug:<16} {last}")
    return 0


def _common(p: argparse.ArgumentParser, *, interval: bool = True) -> None:
    p.add_argument("--component", required=True, help="the component's slug or id")
    p.add_argument("--interval", type=int, default=60, help="seconds between checks (default 60)")
    p.add_argument(
        "--failures",
        type=int,
        default=None,
        help="failures in a row that fire (default 3; heartbeat 1)",
    )
    p.add_argument(
        "--successes", type=int, default=2, help="successes in a row that resolve (default 2)"
    )
    p.add_argument(
        "--publish-after",
        type=int,
        default=None,
        help="seconds the first public update waits for a person (default 300; 0: at once)",
    )
    p.add_argument("--timeout", type=float, default=None)
    p.add_argument(
        "--down-status",
        choices=["degraded_performance", "partial_outage", "major_outage"],
        default=None,
    )


def register(sub: Subcommands) -> None:
    alerts = sub.add_parser("alerts", help="inbound alert sources and staff event hooks")
    asub = alerts.add_subparsers(dest="action", required=True)
    add = command(
        asub, "add-source", cmd_add_source, help="add an alert source; prints its receiver URL last"
    )
    add.add_argument("kind", choices=["alertmanager", "grafana", "pagerduty", "generic"])
    add.add_argument("name")
    add.add_argument(
        "--component", action="append", default=[], help="default component (slug), repeatable"
    )
    add.add_argument(
        "--publish-after",
        type=int,
        default=None,
        help="seconds the first public update waits for a person (default 300; 0: at once)",
    )
    add.add_argument(
        "--label",
        action="append",
        default=[],
        help="label naming the component (default: component), repeatable",
    )
    add.add_argument(
        "--severity",
        action="append",
        default=[],
        help="SEVERITY=STATUS, e.g. page=major_outage or '*=partial_outage'",
    )
    command(asub, "list", cmd_list_sources, help="list alert sources")
    hook = command(
        asub,
        "add-hook",
        cmd_add_hook,
        help="send Tidings' events to a staff Slack/Teams channel or a signed webhook",
    )
    hook.add_argument("kind", choices=["slack", "teams", "webhook"])
    hook.add_argument("url")
    hook.add_argument("--language", default="en", choices=["en", "he"])

    monitors = sub.add_parser("monitors", help="HTTP, TCP, DNS and heartbeat monitors")
    msub = monitors.add_subparsers(dest="action", required=True)
    command(msub, "list", cmd_list_monitors, help="list monitors and their last result")
    madd = msub.add_parser("add", help="add a monitor").add_subparsers(dest="kind", required=True)
    http = command(madd, "http", cmd_add_monitor, help="an HTTP(S) URL")
    http.add_argument("name")
    http.add_argument("target", metavar="URL")
    _common(http)
    http.add_argument("--method", choices=["GET", "HEAD"], default=None)
    http.add_argument("--statuses", default=None, help="accepted status codes (default 200-299)")
    http.add_argument("--keyword", default=None, help="text the page must contain")
    http.add_argument(
        "--keyword-absent", action="store_true", help="the keyword must be absent instead"
    )
    http.add_argument(
        "--max-latency",
        dest="max_latency_ms",
        type=int,
        default=None,
        help="ms; slower is a failure",
    )
    http.add_argument(
        "--tls-days",
        dest="tls_expiry_days",
        type=int,
        default=None,
        help="fail when the certificate expires within N days (default 14; 0: off)",
    )
    tcp = command(madd, "tcp", cmd_add_monitor, help="a TCP port")
    tcp.add_argument("name")
    tcp.add_argument("target", metavar="HOST:PORT")
    _common(tcp)
    dns = command(madd, "dns", cmd_add_monitor, help="a DNS name")
    dns.add_argument("name")
    dns.add_argument("target", metavar="HOSTNAME")
    _common(dns)
    dns.add_argument("--record", choices=["A", "AAAA", "CNAME", "MX", "NS", "TXT"], default=None)
    dns.add_argument("--expect", default=None, help="an answer must contain this")
    dns.add_argument(
        "--server",
        default=None,
        help="DNS server ip[:port] (default: TIDINGS_MONITOR_RESOLVER or the system's)",
    )
    beat = command(
        madd, "heartbeat", cmd_add_monitor, help="a job that pings Tidings; silence is a failure"
    )
    beat.add_argument("name")
    _common(beat)
    beat.add_argument(
        "--grace",
        type=int,
        default=None,
        help="seconds of silence tolerated past the interval (default 60)",
    )
