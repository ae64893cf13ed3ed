"""Finding incidents again: by words of the title in any language, kind, status, severity,
component and date, newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from tidings.core.errors import InvalidInput
from tidings.incidents import rules
from tidings.incidents.models import Incident

PER_PAGE = 25


@dataclass(frozen=True)
class Found:
    incidents: list[Incident]
    total: int
    page: int
    pages: int


def _day(value: date | datetime | None, end: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    from datetime import UTC

    start = datetime.combine(value, time.min, tzinfo=UTC)
    return start + timedelta(days=1) if end else start


def query(
    *,
    q: str = "",
    kind: str = "",
    status: str = "",
    severity: str = "",
    component: str = "",
    since: date | datetime | None = None,
    until: date | datetime | None = None,
) -> QuerySet[Incident]:
    """``status`` is one status, or ``open`` / ``closed``; ``component`` a component id or
    slug; ``since``/``until`` bound the start (a date counts whole)."""
    qs = Incident.objects.all()
    if kind:
        if kind not in ("incident", "maintenance"):
            raise InvalidInput(_("kind must be incident or maintenance"))
        qs = qs.filter(kind=kind)
    qs = _by_status(qs, status)
    if severity:
        if severity not in rules.SEVERITIES:
            raise InvalidInput(
                _("severity must be one of %(severities)s")
                % {"severities": ", ".join(rules.SEVERITIES)}
            )
        qs = qs.filter(severity=severity)
    if component:
        qs = qs.filter(
            Q(impacts__component__public_id=component) | Q(impacts__component__slug=component)
        ).distinct()
    qs = _by_dates(qs, since, until)
    langs = [code for code, _name in settings.LANGUAGES]
    for word in q.split()[:8]:
        # Each language's title by its JSON key: the database reads the text out of the JSON
        # (SQLite stores Hebrew escaped, so the JSON text itself would not match).
        match = Q(title__icontains=word)
        for lang in langs:
            match |= Q(**{f"titles__{lang}__icontains": word})
        qs = qs.filter(match)
    return qs.order_by("-started_at", "-id")


def _by_status(qs: QuerySet[Incident], status: str) -> QuerySet[Incident]:
    if status == "open":
        return qs.exclude(status__in=rules.CLOSED_STATES)
    if status == "closed":
        return qs.filter(status__in=rules.CLOSED_STATES)
    if status and status not in rules.INCIDENT_STATES + rules.MAINTENANCE_STATES:
        raise InvalidInput(_("unknown status %(status)s") % {"status": repr(status)})
    return qs.filter(status=status) if status else qs


def _by_dates(
    qs: QuerySet[Incident], since: date | datetime | None, until: date | datetime | None
) -> QuerySet[Incident]:
    start, end = _day(since, end=False), _day(until, end=True)
    if start and end and end <= start:
        raise InvalidInput(_("until must be after since"))
    if start:
        qs = qs.filter(started_at__gte=start)
    return qs.filter(started_at__lt=end) if end else qs


def search(*, page: int = 1, per_page: int = PER_PAGE, **filters: Any) -> Found:
    qs = query(**filters)
    total = qs.count()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = list(qs[(page - 1) * per_page : page * per_page])
    return Found(incidents=rows, total=total, page=page, pages=pages)
