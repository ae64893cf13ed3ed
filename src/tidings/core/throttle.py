"""A fixed-window request limit kept in the database, so every web process and replica
shares it: at most ``limit`` requests per ``per_seconds`` for one key (a client address on
the public subscription forms; an address or a username signing in, :mod:`tidings.core.login`).
Counts are stored under a hash of the key."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest

from tidings.core import clock
from tidings.core.models import RateCount

#: Windows are kept this long after they end, then deleted by the ``forget_rate_counts`` job.
KEEP_SECONDS = 86_400


def _key(scope: str, who: str) -> str:
    return hashlib.sha256(f"{scope}\0{who}".encode()).hexdigest()


def _window(per_seconds: int, now: datetime | None) -> int:
    t = int((now or clock.now()).timestamp())
    return t - t % per_seconds


def hit(scope: str, who: str, *, per_seconds: int, now: datetime | None = None) -> int:
    """Count one request of ``who`` in ``scope``; how many there were in this window."""
    row_key, window = _key(scope, who), _window(per_seconds, now)
    with transaction.atomic():
        row, _ = RateCount.objects.get_or_create(key=row_key, window=window)
        RateCount.objects.filter(pk=row.pk).update(count=F("count") + 1)
        return RateCount.objects.filter(pk=row.pk).values_list("count", flat=True).get()


def counted(scope: str, who: str, *, per_seconds: int, now: datetime | None = None) -> int:
    """How many requests of ``who`` in ``scope`` this window has counted, counting none."""
    found = RateCount.objects.filter(key=_key(scope, who), window=_window(per_seconds, now))
    return found.values_list("count", flat=True).first() or 0


def seconds_left(per_seconds: int, now: datetime | None = None) -> int:
    """Until the current window ends."""
    return _window(per_seconds, now) + per_seconds - int((now or clock.now()).timestamp())


def allow(
    scope: str, who: str, *, limit: int, per_seconds: int, now: datetime | None = None
) -> bool:
    """Count one request of ``who`` in ``scope``; whether it is within the limit (0: none)."""
    if limit <= 0:
        return True
    return hit(scope, who, per_seconds=per_seconds, now=now) <= limit


def client_address(request: HttpRequest, trusted_proxies: int) -> str:
    """The client's address: ``REMOTE_ADDR``, or behind ``trusted_proxies`` reverse proxies
    the address the outermost of them saw (an X-Forwarded-For entry a client wrote itself
    further left is not believed)."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    if trusted_proxies <= 0:
        return remote
    hops = [h.strip() for h in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    hops = [h for h in hops if h]
    return hops[-trusted_proxies] if len(hops) >= trusted_proxies else remote


def forget_old(now: datetime | None = None) -> int:
    """Delete windows that ended more than :data:`KEEP_SECONDS` ago."""
    t = int((now or clock.now()).timestamp())
    deleted, _ = RateCount.objects.filter(window__lt=t - KEEP_SECONDS).delete()
    return deleted
