"""Periodic jobs, named in code. ``tidings jobs`` lists them, ``tidings jobs run NAME`` runs one
once. The scheduler claims a (job, time slot) row before running, so two schedulers never run
the same slot twice."""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from tidings.core import clock, db
from tidings.core.models import JobClaim

log = logging.getLogger(__name__)
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: int
    #: ``"module:function"``, imported when the job runs: the registry names work in every
    #: package without the core importing them (the layering contracts in pyproject.toml).
    target: str
    doc: str

    def run(self) -> object:
        module, _sep, name = self.target.partition(":")
        fn: Callable[[], object] = getattr(importlib.import_module(module), name)
        return fn()


def run_due_maintenances() -> object:
    from tidings.incidents.maintenances import run_due_maintenances

    return db.retrying(lambda: run_due_maintenances(now=clock.now()))


def daily_republish() -> object:
    from tidings.statuspage.publisher import publish

    return publish(force=True)


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "maintenance_transitions",
            15,
            "tidings.core.jobs:run_due_maintenances",
            "Start and complete automatic maintenances at their scheduled times.",
        ),
        Job(
            "publish_if_stale",
            10,
            "tidings.statuspage.publisher:publish",
            "Publish the status page if a change is not yet in the served snapshot.",
        ),
        Job(
            "s3_catch_up",
            30,
            "tidings.statuspage.s3push:catch_up",
            "Upload the current snapshot to TIDINGS_S3_URL if the last upload failed.",
        ),
        Job(
            "daily_republish",
            3600,
            "tidings.core.jobs:daily_republish",
            "Re-render hourly so uptime bars roll over to a new day without a change.",
        ),
        Job(
            "forget_unconfirmed",
            3600,
            "tidings.subscribers.services:forget_unconfirmed",
            "Delete email subscriptions never confirmed once their confirmation link expired.",
        ),
        Job(
            "forget_import_jobs",
            3600,
            "tidings.customers.jobs:forget_old",
            "Delete customer import jobs finished more than a week ago, with their reports.",
        ),
        Job(
            "alert_receipts",
            1,
            "tidings.monitors.tasks:run_alerts",
            "Process received alert webhooks; post first updates whose wait for a person ran out.",
        ),
        Job(
            "forget_monitor_history",
            3600,
            "tidings.monitors.tasks:forget_old",
            "Delete processed alert webhooks after 7 days and check results past the kept days.",
        ),
        Job(
            "forget_rate_counts",
            3600,
            "tidings.core.throttle:forget_old",
            "Delete the public forms' request counts older than a day.",
        ),
    )
}


def slot(job: Job, at: datetime) -> str:
    return str(int(at.timestamp()) // job.every_seconds)


def claim(job: Job, at: datetime) -> bool:
    try:
        with transaction.atomic():
            JobClaim.objects.create(name=job.name, slot=slot(job, at), claimed_at=at)
    except IntegrityError:
        return False
    return True


def run_due(at: datetime | None = None) -> list[str]:
    at = at or clock.now()
    ran = []
    for job in JOBS.values():
        if not claim(job, at):
            continue
        try:
            job.run()
            ran.append(job.name)
        except Exception:
            log.exception("periodic job %s failed", job.name)
    return ran


def loop(tick: float = 1.0, should_stop: Callable[[], bool] = lambda: False) -> None:
    from django.db import close_old_connections

    last_prune = 0.0
    while not should_stop():
        close_old_connections()
        try:
            run_due()
            if time.monotonic() - last_prune > 3600:
                JobClaim.objects.filter(
                    claimed_at__lt=clock.now().replace(microsecond=0) - _DAY
                ).delete()
                last_prune = time.monotonic()
        except Exception:  # the database may be down; keep trying, the page is served anyway
            log.exception("scheduler tick failed")
        time.sleep(tick)
