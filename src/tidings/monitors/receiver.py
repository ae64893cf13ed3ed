"""The inbound webhooks: alert sources post to ``/hooks/alerts/<secret>``, heartbeat jobs ping
``/hooks/heartbeat/<secret>``.

The request does the least that decides its answer: find the source, bound the size, parse
and check the payload, refuse a replay, and store the body; the ``alert_receipts`` job does
the rest. So a storm is absorbed at the speed of one insert per request, and an answered alert
is in the database before the sender hears 2xx. Bad input gets a 4xx, a log line and, when the
sender is known, a stored "rejected" receipt staff can read.

Two front doors share this core: :func:`hooks_app`, an ASGI app in front of Django that
``tidings serve`` and ``tidings up`` use (Django's request cycle hops threads a dozen times per
request: about 6 ms of CPU, a third of the budget at 200 requests a second), and plain Django
views for any other deployment. Both do their database work on the receiver's own two threads;
Django would give every concurrent request a thread and a connection of its own, and a storm
would exhaust the database's connections."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, close_old_connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from tidings.config import get_settings
from tidings.core import clock
from tidings.monitors import rules
from tidings.monitors.alerts.registry import ADAPTERS
from tidings.monitors.models import AlertReceipt, AlertSource, Monitor
from tidings.monitors.protocol import BadPayload

log = logging.getLogger(__name__)
#: Sources and the component index are read at most this often per process.
CACHE_SECONDS = 5.0
_sources: dict[str, tuple[float, AlertSource | None]] = {}
_index: list[Any] = [0.0, {}]
#: Two threads: one writes while the other reads; more would only contend in the database.
_db_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tidings-receiver-db")
Answer = tuple[int, dict[str, Any]]


def _source(secret: str) -> AlertSource | None:
    now = time.monotonic()
    hit = _sources.get(secret)
    if hit is None or hit[0] < now:
        if len(_sources) > 10_000:  # guessed secrets must not grow the cache without bound
            _sources.clear()
        hit = (now + CACHE_SECONDS, AlertSource.objects.filter(secret=secret).first())
        _sources[secret] = hit
    return hit[1]


def component_index() -> dict[str, str]:
    from tidings.monitors.services import component_index as read

    if _index[0] < time.monotonic():
        _index[:] = [time.monotonic() + CACHE_SECONDS, read()]
    return dict(_index[1])


def forget_caches() -> None:
    _sources.clear()
    _index[:] = [0.0, {}]


def close_db_threads() -> None:
    """Close the receiver threads' database connections (tests, before a database goes)."""
    from django.db import connections

    barrier = threading.Barrier(2, timeout=10)

    def close() -> None:
        connections.close_all()
        barrier.wait()  # holds this thread, so the other task runs on the other one

    for future in [_db_threads.submit(close) for _ in range(2)]:
        future.result(timeout=20)


def _detail(status: int, detail: str) -> Answer:
    return status, {"detail": detail}


def _reject(source: AlertSource, body: bytes, status: int, detail: str) -> Answer:
    log.warning("alert source %s (%s): %s answered %s", source.name, source.kind, detail, status)
    AlertReceipt.objects.create(
        source=source, received_at=clock.now(), digest=rules.body_digest(body),
        body=body.decode("utf-8", errors="replace"), state="rejected", error=detail[:500],
    )  # fmt: skip
    return _detail(status, detail)


def receive_alert(secret: str, method: str, body: bytes | None, remote: str) -> Answer:
    """The whole answer to one alert webhook; ``body`` None: it was larger than allowed."""
    if method != "POST":
        return _detail(405, "send alerts with POST")
    source = _source(secret)
    if source is None:
        log.warning("alert webhook: unknown receiver URL from %s", remote)
        return _detail(404, "unknown receiver URL: copy it again from the alert source")
    if not source.enabled:
        log.warning("alert source %s is disabled; a webhook was refused", source.name)
        return _detail(403, "this alert source is disabled")
    if body is None:
        limit = get_settings().alert_max_bytes
        log.warning("alert source %s: a body over %d bytes was refused", source.name, limit)
        return _detail(413, f"the body is larger than {limit} bytes")
    return _accept(source, body)


def _accept(source: AlertSource, body: bytes) -> Answer:
    try:
        parsed = ADAPTERS[source.kind](json.loads(body), {})
    except ValueError as exc:  # json.JSONDecodeError and BadPayload are ValueErrors
        what = str(exc) if isinstance(exc, BadPayload) else f"the body is not JSON: {exc}"
        return _reject(source, body, 400, what)
    routed = rules.route(
        parsed.events, label_names=source.label_names, index=component_index(),
        defaults=source.default_components, severity_map=source.severity_map,
    )  # fmt: skip
    unknown = ", ".join(sorted(set(routed.unknown))[:10])
    if unknown:
        log.warning("alert source %s: labels name no component: %s", source.name, unknown)
    if routed.unplaced and not any(e.firing for p in routed.plans for e in p.events):
        what = f"no component for these alerts ({unknown or 'no component label'}) and the source has no default component"
        return _reject(source, body, 422, what)
    now = clock.now()
    digest = rules.body_digest(body)
    window = get_settings().alert_replay_seconds
    recent = AlertReceipt.objects.filter(
        source=source, digest=digest, received_at__gte=now - timedelta(seconds=window)
    )
    if window and recent.exclude(state="rejected").exists():
        log.warning("alert source %s: a replayed body was refused", source.name)
        return _detail(409, "replayed request: this exact body was received already")
    AlertReceipt.objects.create(
        source=source, received_at=now, digest=digest, body=body.decode("utf-8", errors="replace"),
        meta=parsed.meta,
    )  # fmt: skip
    return parsed.status, parsed.answer


def receive_ping(secret: str, method: str, remote: str) -> Answer:
    """A watched job's ping (GET, HEAD or POST): it is alive now."""
    if method not in ("GET", "HEAD", "POST"):
        return _detail(405, "ping with GET or POST")
    if not Monitor.objects.filter(secret=secret, kind="heartbeat").update(last_ping_at=clock.now()):
        log.warning("heartbeat: unknown ping URL from %s", remote)
        return _detail(404, "unknown ping URL")
    return 200, {"status": "ok"}


def _db_work(fn: Callable[[], Answer]) -> Answer:
    close_old_connections()  # drop a connection the database closed; keep a healthy one
    try:
        return fn()
    except DatabaseError:
        log.exception("the database refused a webhook; answered 503 so the sender retries")
        return _detail(503, "the database is unavailable; try again")


async def in_db_thread(fn: Callable[[], Answer]) -> Answer:
    return await asyncio.get_running_loop().run_in_executor(_db_threads, _db_work, fn)


# --- Django views ------------------------------------------------------------------------


def _read(request: HttpRequest) -> bytes | None:
    limit = get_settings().alert_max_bytes
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


@csrf_exempt
async def alert_webhook(request: HttpRequest, secret: str, tail: str = "") -> HttpResponse:
    body = _read(request) if request.method == "POST" else b""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    status, doc = await in_db_thread(
        lambda: receive_alert(secret, request.method or "", body, remote)
    )
    return JsonResponse(doc, status=status)


@csrf_exempt
async def heartbeat(request: HttpRequest, secret: str) -> HttpResponse:
    remote = str(request.META.get("REMOTE_ADDR", ""))
    status, doc = await in_db_thread(lambda: receive_ping(secret, request.method or "", remote))
    return JsonResponse(doc, status=status)


# --- the ASGI front door -----------------------------------------------------------------

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
_ALERT = re.compile(r"^/hooks/alerts/([A-Za-z0-9_-]{1,100})(?:/[A-Za-z0-9_./-]*)?$")
_PING = re.compile(r"^/hooks/heartbeat/([A-Za-z0-9_-]{1,100})/?$")


async def _body(receive: Receive, limit: int) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def hooks_app(fallback: ASGIApp) -> ASGIApp:
    """Answer the webhook paths without Django's request cycle; the rest goes to ``fallback``."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        alert, ping = _ALERT.match(path), _PING.match(path)
        if not (alert or ping):
            await fallback(scope, receive, send)
            return
        method, remote = scope["method"], (scope.get("client") or ("", 0))[0]
        if alert is not None:
            body = await _body(receive, get_settings().alert_max_bytes) if method == "POST" else b""
            secret = alert[1]
            status, doc = await in_db_thread(lambda: receive_alert(secret, method, body, remote))
        else:
            secret = ping[1] if ping is not None else ""
            status, doc = await in_db_thread(lambda: receive_ping(secret, method, remote))
        data = json.dumps(doc).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(data)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    return app
