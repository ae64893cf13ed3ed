"""Staff API for the audit log: filter it, page through it, export it as CSV (the export is
itself logged). Leads only (``audit.read``, ``audit.export``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from tidings.core import audit, clock
from tidings.core.auth import actor_of

router = Router(tags=["audit"])


class AuditQuery(Schema):
    actor: str = Field("", max_length=150, description="who acted (a username, or 'system')")
    kind: str = Field(
        "", max_length=64, description="an event kind, or a prefix ending in '.' ('incident.')"
    )
    subject: str = Field("", max_length=80, description="'type', 'type:id' or an id")
    since: datetime | None = Field(None, description="from this time (inclusive)")
    until: datetime | None = Field(None, description="up to this time (exclusive)")

    def filters(self) -> audit.Filters:
        return audit.Filters(
            actor=self.actor, kind=self.kind, subject=self.subject, since=self.since,
            until=self.until,
        )  # fmt: skip


class EventOut(Schema):
    id: int
    at: datetime
    actor: str
    kind: str
    subject_type: str
    subject_id: str
    data: dict[str, Any]


class AuditPage(Schema):
    total: int
    offset: int
    limit: int
    events: list[EventOut]


@router.get("/audit", response=AuditPage, summary="The audit log")
def list_events(
    request: HttpRequest, q: Query[AuditQuery], offset: int = 0, limit: int = 50
) -> AuditPage:
    """Every recorded action, newest first, filtered; `limit` up to 500."""
    offset, limit = max(offset, 0), min(max(limit, 1), 500)
    qs = audit.find(q.filters())
    rows = [
        EventOut(id=e.pk, at=e.at, actor=e.actor, kind=e.kind, subject_type=e.subject_type,
                 subject_id=e.subject_id, data=e.data)
        for e in qs[offset : offset + limit]
    ]  # fmt: skip
    return AuditPage(total=qs.count(), offset=offset, limit=limit, events=rows)


@router.get("/audit/export", summary="Export the audit log as CSV")
def export_events(
    request: HttpRequest, q: Query[AuditQuery], bom: bool = True
) -> StreamingHttpResponse:
    """The filtered log as CSV (UTF-8; a byte-order mark unless `bom=false`). The export is
    recorded in the log as `audit.exported`."""
    return download(request, q.filters(), bom=bom)


def download(request: HttpRequest, filters: audit.Filters, *, bom: bool) -> StreamingHttpResponse:
    """The CSV answer, shared with the console; records the export first."""
    qs = audit.find(filters)
    audit.record_export(actor=actor_of(request), filters=filters, rows=qs.count())
    response = StreamingHttpResponse(
        (line.encode() for line in audit.csv_lines(qs, bom=bom)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="audit-{clock.now().strftime("%Y%m%d-%H%M")}.csv"'
    )
    return response
