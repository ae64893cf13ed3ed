"""Build the per-language :class:`UpdateView` of an update, from the database, once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from tidings.components.models import Component
from tidings.components.rules import describe_indicator, overall_indicator
from tidings.config import get_settings
from tidings.core.text import pick, render_markdown
from tidings.incidents.models import Incident, IncidentUpdate
from tidings.incidents.rules import ACTIVE_INCIDENT_STATES, ACTIVE_MAINTENANCE_STATES
from tidings.notify.protocol import UpdateView
from tidings.statuspage.branding import for_email
from tidings.statuspage.collect import page_id
from tidings.statuspage.v2 import ts


def _labels() -> dict[str, str]:
    return {
        "investigating": _("Investigating"), "identified": _("Identified"), "monitoring": _("Monitoring"),
        "resolved": _("Resolved"), "scheduled": _("Scheduled"), "in_progress": _("In progress"),
        "verifying": _("Verifying"), "completed": _("Completed"), "cancelled": _("Cancelled"),
        "next_update": _("Next update by"), "affected": _("Affected"), "details": _("Details and updates"),
        "unsubscribe": _("Unsubscribe"), "manage": _("Manage your subscription"),
        "scheduled_for": _("Scheduled for"), "maintenance": _("Scheduled maintenance"),
        "why": _("You receive this because you subscribed to status updates."),
        "operational": _("Operational"), "degraded_performance": _("Degraded performance"),
        "partial_outage": _("Partial outage"), "major_outage": _("Major outage"),
        "under_maintenance": _("Under maintenance"),
    }  # fmt: skip


def statuspage_incident(
    incident: Incident, updates: list[IncidentUpdate], components: list[Component]
) -> dict[str, Any]:
    """The ``incident`` object of a Statuspage webhook (formats.md 1.6), newest update first."""
    pid = page_id(get_settings())
    return {
        "id": incident.public_id, "name": incident.title, "status": incident.status, "impact": incident.impact,
        "created_at": ts(incident.created_at), "updated_at": ts(incident.updated_at),
        "monitoring_at": ts(incident.monitoring_at), "resolved_at": ts(incident.resolved_at),
        "shortlink": f"{get_settings().public_url}/incidents/{incident.public_id}",
        "scheduled_for": ts(incident.scheduled_for), "scheduled_until": ts(incident.scheduled_until),
        "postmortem_ignored": False, "postmortem_body": None, "postmortem_body_last_updated_at": None,
        "postmortem_published_at": None, "postmortem_notified_subscribers": False,
        "postmortem_notified_twitter": False, "backfilled": False, "scheduled_remind_prior": False,
        "scheduled_reminded_at": None, "impact_override": None,
        "scheduled_auto_in_progress": incident.kind == "maintenance" and incident.auto_transition,
        "scheduled_auto_completed": incident.kind == "maintenance" and incident.auto_transition,
        "page_id": pid,
        "incident_updates": [
            {"id": u.public_id, "status": u.status, "body": pick(u.bodies, "en"),
             "created_at": ts(u.created_at), "updated_at": ts(u.created_at), "display_at": ts(u.display_at),
             "affected_components": u.affected_components, "deliver_notifications": u.deliver_notifications,
             "custom_tweet": None, "wants_twitter_update": False, "twitter_updated_at": None,
             "incident_id": incident.public_id}
            for u in updates
        ],
        "components": [
            {"id": c.public_id, "name": c.name, "status": c.status, "created_at": ts(c.created_at),
             "updated_at": ts(c.updated_at), "position": c.position, "description": c.description or None,
             "showcase": c.showcase, "page_id": pid, "group_id": c.group.public_id if c.group else None}
            for c in components
        ],
    }  # fmt: skip


def page_status() -> dict[str, str]:
    statuses = list(Component.objects.values_list("status", flat=True))
    # Named by kind and status, the few open ones are found by index: excluding the closed
    # ones read every incident of years of history with each update sent.
    active = Incident.objects.filter(
        visibility="public",
        kind__in=("incident", "maintenance"),
        status__in=ACTIVE_INCIDENT_STATES + ACTIVE_MAINTENANCE_STATES,
    ).values_list("kind", "impact")
    indicator = overall_indicator(
        statuses,
        [impact for kind, impact in active if kind == "incident"],
        maintenance_in_progress=any(kind == "maintenance" for kind, _ in active),
    )
    return {"indicator": indicator, "description": describe_indicator(indicator)}


def build_views(update: IncidentUpdate, languages: set[str]) -> dict[str, UpdateView]:
    incident = update.incident
    updates = list(incident.updates.order_by("-display_at", "-id"))
    components = list(
        Component.objects.filter(incidentcomponent__incident=incident).select_related("group")
    )
    return views_of(incident, update, updates, components, languages)


def views_of(
    incident: Incident,
    update: IncidentUpdate,
    updates: list[IncidentUpdate],
    components: list[Component],
    languages: set[str],
) -> dict[str, UpdateView]:
    """The views of ``update`` (the newest of ``updates``); the objects may be unsaved, as
    in the console's preview of an update not yet published."""
    payload = statuspage_incident(incident, updates, components)
    status = page_status()
    settings = get_settings()
    views = {}
    for lang in languages:
        with translation.override(lang):
            labels = _labels()
            source = pick(update.bodies, lang)
            views[lang] = UpdateView(
                language=lang, site_name=settings.site_name, page_url=settings.public_url,
                incident_id=incident.public_id,
                incident_url=f"{settings.public_url}{'' if lang == 'en' else '/' + lang}/incidents/{incident.public_id}",
                title=pick(incident.titles or {}, lang, "") or incident.title, kind=incident.kind,
                status=update.status,
                status_label=labels.get(update.status, update.status), impact=incident.impact,
                body_markdown=source, body_html=render_markdown(source), body_text=source,
                components=[pick(c.names or {}, lang, "") or c.name for c in components],
                next_update_due_at=update.next_update_due_at,
                scheduled_for=incident.scheduled_for, scheduled_until=incident.scheduled_until,
                posted_at=update.display_at, is_first=len(updates) == 1,
                statuspage_payload=payload, page_status=status, labels=labels,
                brand=for_email(lang, settings.public_url),
            )  # fmt: skip
    return views


def build_component_views(
    component: Component, *, old: str, new: str, at: datetime, change_id: str, languages: set[str]
) -> dict[str, UpdateView]:
    """Views of a component status change made outside any incident (by staff or, later, by a
    monitor): the Statuspage ``component`` webhook and a one-line message elsewhere."""
    settings = get_settings()
    pid = page_id(settings)
    obj = {
        "id": component.public_id, "name": component.name, "status": new,
        "created_at": ts(component.created_at), "updated_at": ts(at), "position": component.position,
        "description": component.description or None, "showcase": component.showcase, "page_id": pid,
        "group_id": component.group.public_id if component.group else None,
    }  # fmt: skip
    update = {"id": change_id, "old_status": old, "new_status": new, "created_at": ts(at),
              "component_type": "Component", "component_id": component.public_id}  # fmt: skip
    status = page_status()
    views = {}
    for lang in languages:
        name = pick(component.names or {}, lang, "") or component.name
        with translation.override(lang):
            labels = _labels()
            text = _("%(name)s is now: %(new)s (was: %(old)s).") % {
                "name": name,
                "new": labels.get(new, new),
                "old": labels.get(old, old),
            }
            views[lang] = UpdateView(
                language=lang, site_name=settings.site_name, page_url=settings.public_url,
                incident_id=component.public_id,
                incident_url=f"{settings.public_url}{'' if lang == 'en' else '/' + lang + '/'}",
                title=name, kind="component", status=new, status_label=labels.get(new, new),
                impact="none", body_markdown=text, body_html=f"<p>{escape(text)}</p>", body_text=text,
                components=[name], next_update_due_at=None, scheduled_for=None,
                scheduled_until=None, posted_at=at, is_first=True, statuspage_payload=obj,
                page_status=status, labels=labels, component_update=update,
                brand=for_email(lang, settings.public_url),
            )  # fmt: skip
    return views
