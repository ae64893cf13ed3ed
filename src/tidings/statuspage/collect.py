"""Read everything the public site shows from the database, in a handful of queries, into the
plain :class:`Site` that the renderers use."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import CharField, Count, Prefetch, Q
from django.db.models.functions import Cast, Coalesce, Substr, TruncMonth

from tidings.components.models import Component, ComponentGroup, StatusChange
from tidings.components.rules import worst_component_status
from tidings.config import TidingsSettings
from tidings.incidents.models import Incident, IncidentComponent, IncidentUpdate
from tidings.monitors.figures import component_figures
from tidings.statuspage import branding
from tidings.statuspage.data import (
    Change,
    ComponentData,
    FaqData,
    GroupData,
    IncidentData,
    PageInfo,
    ResourceData,
    Site,
    UpdateData,
)

ACTIVE = ("investigating", "identified", "monitoring", "scheduled", "in_progress", "verifying")
#: Maintenances in the calendar feed: those ending at most this long ago, and all to come.
CALENDAR_DAYS = 365
#: Incidents the JSON lists and the feeds hold (v2.RECENT_LIMIT, feeds.FEED_LIMIT, with margin).
_LATEST = 50


def _catalog_fields(x: Component | ComponentGroup) -> dict[str, Any]:
    """What a component and a group both carry onto the page, read alike."""
    return {
        "id": x.public_id, "name": x.name, "names": dict(x.names or {}),
        "description": x.description, "position": x.position,
        "created_at": x.created_at, "updated_at": x.updated_at,
    }  # fmt: skip


def page_id(settings: TidingsSettings) -> str:
    digest = hashlib.sha256(f"{settings.site_name}|{settings.public_url}".encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[b % 36] for b in digest[:12])


def _incident(i: Incident) -> IncidentData:
    """The incident whole: what ``_light`` reads, with its updates, FAQ and resources."""
    return replace(
        _light(i),
        updates=tuple(
            UpdateData(
                id=u.public_id,
                status=u.status,
                bodies=dict(u.bodies),
                created_at=u.created_at,
                display_at=u.display_at,
                affected_components=u.affected_components,
                next_update_due_at=u.next_update_due_at,
            )
            for u in i.updates.all()
        ),
        faq=tuple(FaqData(question=f.question, answer=f.answer) for f in i.faq.all()),
        resources=tuple(
            ResourceData(kind=r.kind, title=r.title, body=r.body, url=r.url)
            for r in i.resources.all()
        ),
    )


def collect(
    *,
    settings: TidingsSettings,
    now: datetime,
    version: int,
    only: Q | None = None,
    bars: Q | None = None,
    history: tuple[tuple[str, int], ...] | None = None,
) -> Site:
    """The site as of ``now``: every public incident, or only those ``only`` selects (an
    incremental publish reads what the pages it renders show, see :func:`front_and`), and,
    without their updates, FAQ and resources, those ``bars`` selects besides (the uptime bars
    show only their titles and times)."""
    groups = list(ComponentGroup.objects.all())
    comps = list(Component.objects.select_related("group"))
    checked = component_figures(now)
    comp_data = tuple(
        ComponentData(
            **_catalog_fields(c),
            status=c.status,
            group_id=c.group.public_id if c.group else None,
            showcase=c.showcase,
            only_show_if_degraded=c.only_show_if_degraded,
            start_date=c.start_date,
            checked_uptime=checked[c.public_id][0] if c.public_id in checked else None,
            response_ms=checked[c.public_id][1] if c.public_id in checked else None,
        )
        for c in sorted(comps, key=lambda c: (c.position, c.name))
    )
    group_data = tuple(
        GroupData(
            **_catalog_fields(g),
            status=worst_component_status(c.status for c in comps if c.group_id == g.pk),
            component_ids=tuple(c.id for c in comp_data if c.group_id == g.public_id),
        )
        for g in groups
    )
    public = Incident.objects.filter(visibility="public")
    chosen = public if only is None else public.filter(only)
    incidents = chosen.prefetch_related(
        "impacts__component",
        Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-display_at", "-id")),
        "faq",
        "resources",
    ).order_by("-started_at", "-id")
    window = now - timedelta(days=settings.uptime_days + 1)
    by_pk = {c.pk: c.public_id for c in comps}
    changes: dict[str, list[Change]] = {}
    # The last change before the window says what status the window starts in.
    for ch in StatusChange.objects.filter(at__gte=window).order_by("at", "id"):
        changes.setdefault(by_pk[ch.component_id], []).append(
            Change(at=ch.at, old=ch.old_status, new=ch.new_status)
        )
    updated = max(
        [c.updated_at for c in comps]
        + [
            i.updated_at
            for i in Incident.objects.filter(visibility="public").order_by("-updated_at")[:1]
        ],
        default=now,
    )
    return Site(
        page=PageInfo(
            id=page_id(settings),
            name=settings.site_name,
            url=settings.public_url,
            time_zone=settings.time_zone,
            updated_at=updated,
        ),
        generated_at=now,
        version=version,
        components=comp_data,
        groups=group_data,
        incidents=_with_bars(list(incidents), bars),
        changes={k: tuple(v) for k, v in changes.items()},
        history=history_months() if history is None else history,
        uptime_days=settings.uptime_days,
        partial_weight=settings.uptime_partial_weight,
        live_refresh_seconds=settings.live_refresh_seconds,
        brand=branding.load(),
    )


def _with_bars(full: list[Incident], bars: Q | None) -> tuple[IncidentData, ...]:
    """The incidents read whole, and those of ``bars`` not among them read light; newest first."""
    rows = [(i.started_at, i.pk, _incident(i)) for i in full]
    if bars is not None:
        rows += _light_rows(bars, exclude=[i.pk for i in full])
    rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
    return tuple(r[2] for r in rows)


_LIGHT_FIELDS = (
    "kind", "title", "titles", "status", "impact", "created_at", "updated_at", "started_at",
    "monitoring_at", "resolved_at", "scheduled_for", "scheduled_until", "next_update_due_at",
)  # fmt: skip


def _light_rows(bars: Q, exclude: list[int]) -> list[tuple[datetime, int, IncidentData]]:
    """The bars' incidents without their updates, as plain rows: with years of history a few
    hundred of them are in the bars' window, and model instances cost several times as much."""
    rows = list(
        Incident.objects.filter(visibility="public")
        .filter(bars)
        .exclude(pk__in=exclude)
        .values_list("pk", "public_id", *_LIGHT_FIELDS)
    )
    components: dict[int, list[str]] = {}
    for incident_id, component in (
        IncidentComponent.objects.filter(incident_id__in=[r[0] for r in rows])
        .order_by("pk")
        .values_list("incident_id", "component__public_id")
    ):
        components.setdefault(incident_id, []).append(component)
    out = []
    for pk, public_id, *values in rows:
        fields = dict(zip(_LIGHT_FIELDS, values, strict=True))
        data = _data(public_id, fields, tuple(components.get(pk, ())))
        out.append((data.started_at, pk, data))
    return out


def _light(i: Incident) -> IncidentData:
    fields = {name: getattr(i, name) for name in _LIGHT_FIELDS}
    return _data(i.public_id, fields, tuple(x.component.public_id for x in i.impacts.all()))


def _data(public_id: str, fields: dict[str, Any], component_ids: tuple[str, ...]) -> IncidentData:
    """An incident without its updates, from its ``_LIGHT_FIELDS``."""
    fields["titles"] = dict(fields["titles"] or {})
    return IncidentData(id=public_id, component_ids=component_ids, updates=(), **fields)


def history_months(only: Q | None = None) -> tuple[tuple[str, int], ...]:
    """(``YYYY-MM``, incidents started that month), oldest first: what the history index
    lists. Counted by the database (one row a month), whatever part of the site is rendered;
    ``only`` limits the count to the incidents it selects (some months' worth)."""
    public = Incident.objects.filter(visibility="public").exclude(status="scheduled")
    if only is not None:
        public = public.filter(only)
    if connection.vendor == "sqlite":
        # SQLite keeps times as ISO text in UTC, so the month is the text's first seven
        # characters; TruncMonth there calls a Python function per row (35 ms of every publish
        # with 5,000 past incidents).
        months = public.annotate(month=Substr(Cast("started_at", CharField()), 1, 7))
        rows = months.values("month").annotate(n=Count("id")).order_by("month")
        return tuple((str(m), n) for m, n in rows.values_list("month", "n"))
    by_month = (
        public.annotate(month=TruncMonth("started_at", tzinfo=UTC))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
        .values_list("month", "n")
    )
    return tuple((month.astimezone(UTC).strftime("%Y-%m"), n) for month, n in by_month)


def month_range(key: str) -> Q:
    year, month = int(key[:4]), int(key[5:7])
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return Q(started_at__gte=start, started_at__lt=end)


def front_and(
    *, settings: TidingsSettings, now: datetime, incidents: set[str], months: set[str]
) -> Q:
    """The incidents every publish renders in full (the front page, feeds, JSON, the calendar),
    those whose pages are rendered, and every incident of the given months. The uptime bars
    need more, but only their titles: :func:`bars_of`."""
    public = Incident.objects.filter(visibility="public")
    latest = (
        list(
            public.filter(kind="incident")
            .order_by("-started_at", "-id")[:_LATEST]
            .values_list("pk", flat=True)
        )
        + list(
            public.filter(kind="maintenance")
            .annotate(when=Coalesce("scheduled_for", "started_at"))
            .order_by("-when", "-started_at", "-id")[:_LATEST]
            .values_list("pk", flat=True)
        )
        + list(
            public.order_by("-updated_at", "-started_at", "-id")[:_LATEST].values_list(
                "pk", flat=True
            )
        )
    )
    q = (
        Q(status__in=ACTIVE)
        | Q(pk__in=latest)
        | Q(started_at__gte=now - timedelta(days=8))  # "recent" on the front page (7 days)
        | Q(kind="incident", resolved_at__isnull=True)
        | Q(kind="maintenance", scheduled_until__gte=now - timedelta(days=CALENDAR_DAYS + 1))
        | Q(public_id__in=sorted(incidents))
    )
    for key in sorted(months):
        q |= month_range(key)
    return q


def bars_of(settings: TidingsSettings, now: datetime) -> Q:
    """The incidents the uptime bars name: closed within the bars' window."""
    return Q(kind="incident", resolved_at__gte=now - timedelta(days=settings.uptime_days + 1))
