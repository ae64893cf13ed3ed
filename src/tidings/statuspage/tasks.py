"""Background tasks of the status page."""

from __future__ import annotations

from django_tasks import task

from tidings.statuspage.publisher import publish


@task()
def publish_snapshot() -> int | None:
    return publish()
