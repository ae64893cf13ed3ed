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
        if _already_queued(publish_snapshot.module_path):
            return  # one queued publish renders every change committed before it runs
        publish_snapshot.enqueue()
    except Exception:  # the scheduler's stale-snapshot job will publish it
        log.exception("could not enqueue a snapshot publish")


def connect() -> None:
    events.subscribe(on_event)


def _already_queued(task_path: str) -> bool:
    from django.conf import settings

    if "django_tasks_db" not in settings.TASKS["default"]["BACKEND"]:
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=task_path, status="READY").exists()
