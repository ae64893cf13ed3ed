"""Helpers for delivery tests that use the database: a subscriber as the public form would
leave it, a worker run until nothing is due, and an update posted and delivered."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from tidings.core import clock
from tidings.notify.registry import CHANNELS
from tidings.notify.worker import DeliveryWorker
from tidings.subscribers.models import Subscriber


def subscriber(
    channel: str,
    target: str,
    *,
    language: str = "en",
    components: list[Any] | None = None,
    secret: str | None = None,
    status: str = "active",
) -> Subscriber:
    target = CHANNELS[channel].normalise_target(target)
    s = Subscriber.objects.create(
        channel=channel, target=target, target_key=hashlib.sha256(target.encode()).hexdigest(),
        language=language, status=status, created_at=clock.now(),
        all_components=components is None,
    )  # fmt: skip
    if components:
        s.components.set(components)
    if secret:
        s.secret = secret
        s.save()
    return s


def drain(settings: Any) -> dict[str, int]:
    """Send everything due now through a real worker, as ``tidings worker`` would."""
    return asyncio.run(DeliveryWorker(settings).drain())


def update_and_deliver(
    incident: Any, settings: Any, *, status: str = "identified", body: Any = "x", **more: Any
) -> dict[str, int]:
    """Dana posts an update to ``incident``, committed as a request commits it, then a worker
    sends what the update queued (see ``drain``)."""
    from django.db import transaction

    from tidings.incidents import services

    with transaction.atomic():
        services.post_update(actor="dana", incident=incident, status=status, body=body, **more)
    return drain(settings)
