"""The inbound webhooks: alert sources post to ``/hooks/alerts/<secret>``, heartbeat jobs ping
``/hooks/heartbeat/<secret>``.

The request does the least that decides its answer: find the source, bound the size, parse
and check the payload, refuse a replay, and store the body; the ``alert_receipts`` job does
the rest. So a storm is absorbed at the speed of one insert per request, and an answered alert
is in the database before the sender hears 2xx. Bad input gets a 4xx, a log line and, when the
sender is known, a stored "rejected" receipt staff can read."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
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


def close_db_threads() -> None:
    """Close the receiver threads' database connections (tests, before a database goes)."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(2, timeout=10)

    def close() -> None:
        connections.close_all()
        barrier.wait()  # holds this thread, so the other task runs on the other one

    for future in [_db_threads.submit(close) for _ in range(2)]:
        future.result(timeout=20)


def forget_caches() -> None:
    _sources.clear()
    _index[:] = [0.0, {}]


def _answer(status: int, detail: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"detail": detail, **extra}, status=status)


def _reject(source: AlertSource, body: bytes, status: int, detail: str) -> JsonResponse:
    log.warning("alert source %s (%s): %s answered %s", source.name, source.kind, detail, status)
    AlertReceipt.objects.create(
        source=source, received_at=clock.now(), digest=rules.body_digest(body),
        body=body.decode("utf-8", errors="replace"), state="rejected", error=detail[:500],
    )  # fmt: skip
    return _answer(status, detail)


def _db_work(fn: Callable[[], HttpResponse]) -> HttpResponse:
    close_old_connections()  # drop a connection the database closed; keep a healthy one
    try:
        return fn()
    except DatabaseError:
        log.exception("the database refused a webhook; answered 503 so the sender retries")
        return _answer(503, "the database is unavailable; try again")


async def in_db_thread(fn: Callable[[], HttpResponse]) -> HttpResponse:
    """Run a webhook's database work on the receiver's own few threads. Django would give
    every concurrent request a thread and a database connection of its own; a storm of
    webhooks would then exhaust the database's connections."""
    return await asyncio.get_running_loop().run_in_executor(_db_threads, _db_work, fn)


@csrf_exempt
async def alert_webhook(request: HttpRequest, secret: str, tail: str = "") -> HttpResponse:
    def work() -> HttpResponse:
        admitted = _admit(request, secret)
        if isinstance(admitted, HttpResponse):
            return admitted
        return _accept(*admitted)

    return await in_db_thread(work)


def _admit(request: HttpRequest, secret: str) -> HttpResponse | tuple[AlertSource, bytes]:
    """The source and the body, or the answer refusing them."""
    if request.method != "POST":
        return _answer(405, "send alerts with POST")
    source = _source(secret)
    if source is None:
        log.warning("alert webhook: unknown receiver URL from %s", request.META.get("REMOTE_ADDR"))
        return _answer(404, "unknown receiver URL: copy it again from the alert source")
    if not source.enabled:
        log.warning("alert source %s is disabled; a webhook was refused", source.name)
        return _answer(403, "this alert source is disabled")
    limit = get_settings().alert_max_bytes
    body = b"" if int(request.META.get("CONTENT_LENGTH") or 0) > limit else request.read(limit + 1)
    if (not body and int(request.META.get("CONTENT_LENGTH") or 0) > limit) or len(body) > limit:
        log.warning("alert source %s: a body over %d bytes was refused", source.name, limit)
        return _answer(413, f"the body is larger than {limit} bytes")
    return source, body


def _accept(source: AlertSource, body: bytes) -> HttpResponse:
    try:
        doc = json.loads(body)
        parsed = ADAPTERS[source.kind](doc, {})
    except ValueError as exc:  # json.JSONDecodeError and BadPayload are ValueErrors
        what = str(exc) if isinstance(exc, BadPayload) else f"the body is not JSON: {exc}"
        return _reject(source, body, 400, what)
    routed = rules.route(
        parsed.events, label_names=source.label_names, index=component_index(),
        defaults=source.default_components, severity_map=source.severity_map,
    )  # fmt: skip
    if routed.unknown:
        log.warning(
            "alert source %s: labels name no component: %s",
            source.name,
            ", ".join(sorted(set(routed.unknown))[:10]),
        )
    if routed.unplaced and not any(e.firing for p in routed.plans for e in p.events):
        named = ", ".join(sorted(set(routed.unknown))[:10]) or "no component label"
        return _reject(
            source,
            body,
            422,
            f"no component for these alerts ({named}) and the source has no default component",
        )
    now = clock.now()
    digest = rules.body_digest(body)
    window = get_settings().alert_replay_seconds
    if (
        window
        and AlertReceipt.objects.filter(
            source=source, digest=digest, received_at__gte=now - timedelta(seconds=window)
        )
        .exclude(state="rejected")
        .exists()
    ):
        log.warning("alert source %s: a replayed body was refused", source.name)
        return _answer(409, "replayed request: this exact body was received already")
    AlertReceipt.objects.create(
        source=source, received_at=now, digest=digest, body=body.decode("utf-8", errors="replace"),
        meta=parsed.meta,
    )  # fmt: skip
    return JsonResponse(parsed.answer, status=parsed.status)


@csrf_exempt
async def heartbeat(request: HttpRequest, secret: str) -> HttpResponse:
    """A watched job's ping (GET, HEAD or POST): it is alive now."""
    if request.method not in ("GET", "HEAD", "POST"):
        return _answer(405, "ping with GET or POST")

    def work() -> HttpResponse:
        if not Monitor.objects.filter(secret=secret, kind="heartbeat").update(
            last_ping_at=clock.now()
        ):
            log.warning("heartbeat: unknown ping URL from %s", request.META.get("REMOTE_ADDR"))
            return _answer(404, "unknown ping URL")
        return HttpResponse("OK\n", content_type="text/plain")

    return await in_db_thread(work)
