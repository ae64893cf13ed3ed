"""Read everything the public site shows from the database, in a handful of queries, into the
plain :class:`Site` that the renderers use."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q

from tidings.components.models import Component, ComponentGroup, StatusChange
from tidings.components.rules import worst_component_status
from tidings.config import TidingsSettings
from tidings.incidents.models import Incident, IncidentUpdate
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

HISTORY_DAYS = 365


def page_id(settings: TidingsSettings) -> str:
    digest = hashlib.sha256(f"{settings.site_name}|{settings.public_url}".encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[b % 36] for b in digest[:12])


def _incident(i: Incident) -> IncidentData:
    return IncidentData(
        id=i.public_id,
        kind=i.kind,
        title=i.title,
        titles=dict(i.titles or {}),
        status=i.status,
        impact=i.impact,
        created_at=i.created_at,
        updated_at=i.updated_at,
        started_at=i.started_at,
        monitoring_at=i.monitoring_at,
        resolved_at=i.resolved_at,
        scheduled_for=i.scheduled_for,
        scheduled_until=i.scheduled_until,
        next_update_due_at=i.next_update_due_at,
        component_ids=tuple(x.component.public_id for x in i.impacts.all()),
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


def collect(*, settings: TidingsSettings, now: datetime, version: int) -> Site:
    groups = list(ComponentGroup.objects.all())
    comps = list(Component.objects.select_related("group"))
    checked = component_figures(now)
    comp_data = tuple(
        ComponentData(
            id=c.public_id,
            name=c.name,
            names=dict(c.names or {}),
            description=c.description,
            status=c.status,
            position=c.position,
            group_id=c.group.public_id if c.group else None,
            showcase=c.showcase,
            only_show_if_degraded=c.only_show_if_degraded,
            start_date=c.start_date,
            created_at=c.created_at,
            updated_at=c.updated_at,
            checked_uptime=checked[c.public_id][0] if c.public_id in checked else None,
            response_ms=checked[c.public_id][1] if c.public_id in checked else None,
        )
        for c in sorted(comps, key=lambda c: (c.position, c.name))
    )
    group_data = tuple(
        GroupData(
            id=g.public_id,
            name=g.name,
            names=dict(g.names or {}),
            description=g.description,
            position=g.position,
            status=worst_component_status(c.status for c in comps if c.group_id == g.pk),
            component_ids=tuple(c.id for c in comp_data if c.group_id == g.public_id),
            created_at=g.created_at,
            updated_at=g.updated_at,
        )
        for g in groups
    )
    since = now - timedelta(days=HISTORY_DAYS)
    incidents = (
        Incident.objects.filter(visibility="public")
        .filter(
            Q(started_at__gte=since)
            | Q(
                status__in=(
                    "investigating",
                    "identified",
                    "monitoring",
                    "scheduled",
                    "in_progress",
                    "verifying",
                )
            )
        )
        .prefetch_related(
            "impacts__component",
            Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-display_at", "-id")),
            "faq",
            "resources",
        )
        .order_by("-started_at", "-id")
    )
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
        incidents=tuple(_incident(i) for i in incidents),
        changes={k: tuple(v) for k, v in changes.items()},
        uptime_days=settings.uptime_days,
        partial_weight=settings.uptime_partial_weight,
        live_refresh_seconds=settings.live_refresh_seconds,
        brand=branding.load(),
    )
