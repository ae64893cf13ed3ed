"""The Statuspage v2 public API documents (reference/formats.md section 1), built from a
:class:`Site`. Pure functions; the publisher serialises the result once per snapshot."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tidings.components.rules import describe_indicator, overall_indicator
from tidings.core.text import pick
from tidings.statuspage.data import ComponentData, GroupData, IncidentData, Site

RECENT_LIMIT = 50


def ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def page(site: Site) -> dict[str, Any]:
    p = site.page
    return {
        "id": p.id,
        "name": p.name,
        "url": p.url,
        "time_zone": p.time_zone,
        "updated_at": ts(p.updated_at),
    }


def status(site: Site) -> dict[str, str]:
    indicator = indicator_of(site)
    return {"indicator": indicator, "description": describe_indicator(indicator)}


def indicator_of(site: Site) -> str:
    return overall_indicator(
        (c.status for c in site.components),
        (i.impact for i in site.incidents if i.kind == "incident" and i.is_active),
        maintenance_in_progress=any(
            i.kind == "maintenance" and i.is_active for i in site.incidents
        ),
    )


def _entry(
    site: Site,
    x: ComponentData | GroupData,
    *,
    showcase: bool = False,
    start_date: str | None = None,
    group_id: str | None = None,
    only_show_if_degraded: bool = False,
    members: list[str] | None = None,
) -> dict[str, Any]:
    """One object of the ``components`` list. In Statuspage v2 a group is a component with
    ``group: true`` and its members' ids, and none of a component's own display settings: those
    default to what a group shows."""
    doc: dict[str, Any] = {
        "id": x.id,
        "name": x.name,
        "status": x.status,
        "created_at": ts(x.created_at),
        "updated_at": ts(x.updated_at),
        "position": x.position,
        "description": x.description or None,
        "showcase": showcase,
        "start_date": start_date,
        "group_id": group_id,
        "page_id": site.page.id,
        "group": members is not None,
        "only_show_if_degraded": only_show_if_degraded,
    }
    if members is not None:
        doc["components"] = members
    return doc


def component(site: Site, c: ComponentData) -> dict[str, Any]:
    return _entry(
        site, c, showcase=c.showcase, group_id=c.group_id,
        start_date=c.start_date.isoformat() if c.start_date else None,
        only_show_if_degraded=c.only_show_if_degraded,
    )  # fmt: skip


def group(site: Site, g: GroupData) -> dict[str, Any]:
    return _entry(site, g, members=list(g.component_ids))


def components(site: Site) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for g in site.groups:
        out.append(group(site, g))
        out.extend(component(site, c) for c in site.components if c.group_id == g.id)
    out.extend(component(site, c) for c in site.components if c.group_id is None)
    return out


def incident(site: Site, i: IncidentData) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": i.id,
        "name": i.title,
        "status": i.status,
        "created_at": ts(i.created_at),
        "updated_at": ts(i.updated_at),
        "monitoring_at": ts(i.monitoring_at),
        "resolved_at": ts(i.resolved_at),
        "impact": i.impact,
        "shortlink": f"{site.page.url}/incidents/{i.id}",
        "started_at": ts(i.started_at),
        "page_id": site.page.id,
        "incident_updates": [
            {
                "id": u.id,
                "status": u.status,
                "body": pick(u.bodies, "en"),
                "incident_id": i.id,
                "created_at": ts(u.created_at),
                "updated_at": ts(u.created_at),
                "display_at": ts(u.display_at),
                "affected_components": u.affected_components,
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
            for u in i.updates
        ],
        "components": [component(site, c) for cid in i.component_ids if (c := site.component(cid))],
    }
    if i.next_update_due_at is not None:
        # Ours, not Statuspage's (clients ignore keys they do not know): when the next update
        # is promised, so a widget or a bot can say "next update by" as the page does.
        doc["next_update_due_at"] = ts(i.next_update_due_at)
    if i.kind == "maintenance":
        doc["scheduled_for"] = ts(i.scheduled_for)
        doc["scheduled_until"] = ts(i.scheduled_until)
    return doc


def documents(site: Site) -> dict[str, dict[str, Any]]:
    """Every endpoint's document, keyed by its path."""
    p = page(site)
    incidents = [i for i in site.incidents if i.kind == "incident"]
    maintenances = sorted(
        (i for i in site.incidents if i.kind == "maintenance"),
        key=lambda m: m.scheduled_for or m.started_at,
        reverse=True,
    )
    unresolved = [incident(site, i) for i in incidents if i.is_active]
    upcoming = [incident(site, m) for m in maintenances if m.is_upcoming]
    active = [incident(site, m) for m in maintenances if m.is_active]
    comps = components(site)
    st = status(site)
    return {
        "/api/v2/summary.json": {
            "page": p,
            "components": comps,
            "incidents": unresolved,
            "scheduled_maintenances": active + upcoming,
            "status": st,
        },
        "/api/v2/status.json": {"page": p, "status": st},
        "/api/v2/components.json": {"page": p, "components": comps},
        "/api/v2/incidents.json": {
            "page": p,
            "incidents": [incident(site, i) for i in incidents[:RECENT_LIMIT]],
        },
        "/api/v2/incidents/unresolved.json": {"page": p, "incidents": unresolved},
        "/api/v2/scheduled-maintenances.json": {
            "page": p,
            "scheduled_maintenances": [incident(site, m) for m in maintenances[:RECENT_LIMIT]],
        },
        "/api/v2/scheduled-maintenances/upcoming.json": {
            "page": p,
            "scheduled_maintenances": upcoming,
        },
        "/api/v2/scheduled-maintenances/active.json": {"page": p, "scheduled_maintenances": active},
    }
