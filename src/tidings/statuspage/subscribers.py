"""The status page listens to domain events: a public change asks for a new snapshot."""

from __future__ import annotations

import logging

from tidings.core import events
from tidings.core.models import Event

log = logging.getLogger(__name__)


def on_event(event: Event) -> None:
    if not event.data.get("public", True):
        return
    from tidings.statuspage.tasks import publish_snapshot

    try:
        publish_snapshot.enqueue()
    except Exception:  # the scheduler's stale-snapshot job will publish it
        log.exception("could not enqueue a snapshot publish")


def connect() -> None:
    events.subscribe(on_event)
