"""The status page listens for publish requests: a transaction that changed something public
asks for a new snapshot once, after it commits."""

from __future__ import annotations

import logging

from tidings.core import events

log = logging.getLogger(__name__)


def on_publish_request() -> None:
    from tidings.statuspage.tasks import publish_snapshot

    try:
        if _already_queued(publish_snapshot.module_path):
            return  # one queued publish renders every change committed before it runs
        publish_snapshot.enqueue()
    except Exception:  # the scheduler's stale-snapshot job will publish it
        log.exception("could not enqueue a snapshot publish")


def connect() -> None:
    events.subscribe_publish(on_publish_request)


def _already_queued(task_path: str) -> bool:
    from django.conf import settings

    if "django_tasks_db" not in settings.TASKS["default"]["BACKEND"]:
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=task_path, status="READY").exists()
