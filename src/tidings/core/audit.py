"""The audit log is the event log (:class:`tidings.core.models.Event`): append-only, written in
the transaction of each change. Services record what they do; this module fills the gaps in
one place (a staff request that changed or exported something without any service recording
it is recorded by its action), and reads the log back for the audit screen, its API and its
CSV export. The caller owns the transaction."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Q, QuerySet

from tidings.core import events
from tidings.core.models import Event

T = TypeVar("T")
#: Columns of the CSV export, in order.
COLUMNS = ("at", "actor", "kind", "subject_type", "subject_id", "data")
MAX_EXPORT = 1_000_000


def is_audited(action: str | None) -> bool:
    """Whether a request of ``action`` must leave a trace: every change and every export."""
    return action is not None and not action.endswith(".read")


def filling_gap(
    *,
    actor: str,
    via: str,
    method: str,
    path: str,
    action: str | None,
    run: Callable[[], T],
    done: Callable[[T], bool] = lambda _: True,
) -> T:
    """Run ``run`` (a request of ``action``); when it returns what ``done`` calls a success and
    recorded no event itself, record ``<via>.write`` or ``<via>.export`` for it, so no change
    or export goes unlogged."""
    before = events.recorded.get()
    out = run()
    if is_audited(action) and events.recorded.get() == before and done(out):
        assert action is not None
        verb = "export" if action.endswith(".export") else "write"
        events.record(
            kind=f"{via}.{verb}", actor=actor, subject_type=action.partition(".")[0],
            subject_id="", public=False, action=action, method=method, path=path,
        )  # fmt: skip
    return out


@dataclass(frozen=True)
class Filters:
    actor: str = ""
    kind: str = ""  # exact, or a prefix ending in "." ("incident." for every incident event)
    subject: str = ""  # "type", "type:id" or an id
    since: datetime | None = None
    until: datetime | None = None

    def as_dict(self) -> dict[str, str]:
        out = {"actor": self.actor, "kind": self.kind, "subject": self.subject}
        out["since"] = self.since.isoformat() if self.since else ""
        out["until"] = self.until.isoformat() if self.until else ""
        return {k: v for k, v in out.items() if v}


def find(filters: Filters) -> QuerySet[Event]:
    """Matching events, newest first."""
    qs = Event.objects.all()
    if filters.actor:
        qs = qs.filter(actor=filters.actor.strip())
    kind = filters.kind.strip()
    if kind:
        qs = qs.filter(kind__startswith=kind) if kind.endswith(".") else qs.filter(kind=kind)
    subject = filters.subject.strip()
    if subject:
        kind_of, sep, ident = subject.partition(":")
        if sep:
            qs = qs.filter(subject_type=kind_of, subject_id=ident)
        else:
            qs = qs.filter(Q(subject_type=subject) | Q(subject_id=subject))
    if filters.since:
        qs = qs.filter(at__gte=filters.since)
    if filters.until:
        qs = qs.filter(at__lt=filters.until)
    return qs.order_by("-at", "-id")


def kinds() -> list[str]:
    """Every kind in the log, for the filter's suggestions."""
    return sorted(Event.objects.values_list("kind", flat=True).distinct())


def data_text(event: Event) -> str:
    """An event's details as JSON text, as the export, the API and the screen show them."""
    return json.dumps(event.data, ensure_ascii=False, sort_keys=True, default=str)


def row(event: Event) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(), "actor": event.actor, "kind": event.kind,
        "subject_type": event.subject_type, "subject_id": event.subject_id,
        "data": data_text(event),
    }  # fmt: skip


def csv_lines(qs: QuerySet[Event], *, bom: bool = True) -> Iterator[str]:
    """The events as CSV lines, streamed (the log grows without bound)."""
    buf = io.StringIO()
    out = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")

    def take() -> str:
        text = buf.getvalue()
        buf.seek(0)
        buf.truncate()
        return text

    out.writeheader()
    yield ("\ufeff" if bom else "") + take()
    for event in qs[:MAX_EXPORT].iterator(chunk_size=2000):
        out.writerow(_safe(row(event)))
        yield take()


def _safe(values: dict[str, Any]) -> dict[str, Any]:
    """A cell a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    return {
        k: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v
        for k, v in values.items()
    }


def record_export(*, actor: str, filters: Filters, rows: int) -> Event:
    """An export of the log is itself in the log."""
    return events.record(
        kind="audit.exported", actor=actor, subject_type="audit", subject_id="", public=False,
        filters=filters.as_dict(), rows=rows,
    )  # fmt: skip
