"""Large CSV imports as background jobs: the request stores the file and answers at once
(202 with the job's address); a worker checks and writes it, reporting how many rows it has
checked so far. A 45,000-row dry run took 13.6 s, all of it holding the only web worker;
now the request takes the upload and the worker does the rest."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from tidings.config import get_settings
from tidings.core import clock
from tidings.core.errors import NotFound
from tidings.customers import csvio, imports
from tidings.customers.models import ImportJob

log = logging.getLogger(__name__)
#: Finished jobs (and their reports) are kept this long, then forgotten.
KEEP = timedelta(days=7)


def rows_in(text: str) -> int:
    """About how many rows a CSV has: its lines less the header (quoted line breaks, which
    the importer refuses anyway, are counted as rows)."""
    return max(0, text.count("\n") - (1 if text.endswith("\n") else 0))


def in_background(rows: int) -> bool:
    limit = get_settings().import_background_rows
    return 0 < limit < rows


def start(*, actor: str, data: bytes, rows: int, dry_run: bool) -> ImportJob:
    """Store the upload as a queued job and enqueue its task (in the caller's transaction:
    the worker sees both once it commits)."""
    from tidings.customers.tasks import run_import

    job = ImportJob.objects.create(
        actor=actor, data=data, dry_run=dry_run, rows_total=rows, created_at=clock.now()
    )
    run_import.enqueue(job.public_id)
    return job


def submit(*, actor: str, data: bytes, dry_run: bool) -> ImportJob | imports.ImportReport:
    """Import an uploaded file: one of more than ``TIDINGS_IMPORT_BACKGROUND_ROWS`` rows
    becomes a queued job, a smaller one is imported now and reported.
    :class:`~tidings.customers.csvio.CsvRejected` for a file that cannot be read."""
    rows = rows_in(csvio.decode(data))
    if in_background(rows):
        return start(actor=actor, data=data, rows=rows, dry_run=dry_run)
    return imports.import_customers(actor=actor, data=data, dry_run=dry_run)


def get(public_id: str) -> ImportJob:
    job = ImportJob.objects.defer("data").filter(public_id=public_id).first()
    if job is None:
        raise NotFound(_("no import job %(id)s") % {"id": repr(public_id)})
    return job


def run(public_id: str) -> str:
    """Do a queued job; its final state. Progress and the verdict are saved as it goes, each
    in its own short transaction, so a caller polling the job sees them."""
    claimed = ImportJob.objects.filter(public_id=public_id, state="queued").update(
        state="checking", started_at=clock.now()
    )
    if not claimed:
        return "not queued"
    job = ImportJob.objects.get(public_id=public_id)
    rows = ImportJob.objects.filter(pk=job.pk)

    def progress(done: int) -> None:
        rows.update(rows_done=done)

    def writing() -> None:
        rows.update(state="writing")

    try:
        report = imports.import_customers(
            actor=job.actor, data=bytes(job.data), dry_run=job.dry_run, progress=progress,
            before_write=writing,
        )  # fmt: skip
    except Exception as exc:  # recorded for the caller; the worker goes on
        log.exception("customer import %s failed", public_id)
        rows.update(state="failed", error=f"the import failed: {exc!r}"[:1000], data=b"",
                    finished_at=clock.now())  # fmt: skip
        return "failed"
    with transaction.atomic():
        rows.update(state="done", report=report.as_dict(), rows_done=report.rows,
                    rows_total=report.rows, data=b"", finished_at=clock.now())  # fmt: skip
    return "done"


def forget_old(now: datetime | None = None) -> int:
    """Delete jobs finished more than :data:`KEEP` ago."""
    cutoff = (now or clock.now()) - KEEP
    deleted, _ = ImportJob.objects.filter(finished_at__lt=cutoff).delete()
    return deleted
