"""Background tasks of the status page."""

from __future__ import annotations

import time

from django_tasks import task

from tidings.config import get_settings
from tidings.statuspage.publisher import publish, seconds_until_due


@task()
def publish_snapshot() -> int | None:
    """Publish what is pending, at most once per ``TIDINGS_PUBLISH_INTERVAL_SECONDS``."""
    time.sleep(seconds_until_due(get_settings()))
    return publish()
