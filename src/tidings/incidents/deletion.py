"""Deleting an incident or a maintenance (one made by mistake, a test, a duplicate), as
Statuspage lets staff do: it leaves the status page at the next publish, which the deletion
asks for at once; the components it holds return to the status they had before it; and the
event log keeps what was deleted, by whom and when.

Its updates, FAQ, resources and the messages sent about it go with it (they have no meaning
without it); the event log and the components' status history stay."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from tidings.components import services as components
from tidings.components.models import Component, StatusChange
from tidings.components.rules import worst_component_status
from tidings.core import db, events
from tidings.incidents import eventlog, rules
from tidings.incidents.models import Incident, IncidentComponent
from tidings.incidents.posting import lock


def _restored_status(component: Component, incident: Incident) -> str | None:
    """What ``component`` returns to, or None if it stays: only a status this incident set
    last is undone; then the worst status other open incidents hold it at, else the status it
    had before this incident first changed it."""
    last = StatusChange.objects.filter(component=component).order_by("-at", "-id").first()
    if last is None or last.incident_id != incident.pk:
        return None  # set since by someone else: theirs stands
    others = list(
        IncidentComponent.objects.filter(component=component)
        .exclude(incident=incident)
        .exclude(incident__status__in=(*rules.CLOSED_STATES, "scheduled"))
        .values_list("status", flat=True)
    )
    if others:
        return worst_component_status(others)
    first = (
        StatusChange.objects.filter(component=component, incident_id=incident.pk)
        .order_by("at", "id")
        .first()
    )
    return first.old_status if first is not None else None


def delete_incident(*, actor: str, incident: Incident) -> dict[str, Any]:
    """Delete ``incident`` (or maintenance); returns what the event log recorded."""
    lock(incident)
    ids = list(incident.impacts.values_list("component_id", flat=True))
    held = db.locking(Component.objects.filter(pk__in=ids).order_by("pk")) if ids else []
    restored: list[dict[str, str]] = []
    for component in held:
        status = _restored_status(component, incident)
        if status is None or status == component.status:
            continue
        old, new = components.set_status(
            actor=actor, component=component, status=status, locked=True
        )
        restored.append(
            {
                "code": component.public_id,
                "name": component.name,
                "old_status": old,
                "new_status": new,
            }
        )
    month = incident.started_at.astimezone(UTC).strftime("%Y-%m")
    record: dict[str, Any] = {
        "incident_kind": incident.kind,
        "title": incident.title,
        "status": incident.status,
        "visibility": incident.visibility,
        "started_at": incident.started_at.isoformat(),
        "updates": incident.updates.count(),
        "components": restored,
    }
    eventlog.record("incident.deleted", actor, incident, **record)
    if incident.is_public:
        events.request_publish(f"month:{month}")  # the month of history it was listed in
    incident.delete()
    return record
