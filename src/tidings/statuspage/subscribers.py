"""The status page listens for publish requests: a transaction that changed something public
asks for a new snapshot once, after it commits."""

from __future__ import annotations

import logging

from tidings.core import events
from tidings.core.prepared import Rows

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
    queued = _queued.get(task_path)
    if queued is None:  # one per task path: its SQL is compiled once (every write asks)
        from django_tasks_db.models import DBTaskResult

        queued = _queued[task_path] = Rows(
            lambda: DBTaskResult.objects.filter(task_path=task_path, status="READY").values_list(
                "id"
            )[:1]
        )
    return bool(queued())


_queued: dict[str, Rows] = {}
