"""Scheduled maintenance use cases: plan one, and move due ones on their own. The caller owns
the transaction."""

from __future__ import annotations

from datetime import datetime

from tidings.comms import services as templates
from tidings.comms.defaults import DEFAULTS
from tidings.core import clock, events
from tidings.core.ids import new_id
from tidings.core.text import default_text
from tidings.incidents import rules
from tidings.incidents.models import Incident, IncidentComponent
from tidings.incidents.posting import (
    bodies_of,
    check_choice,
    post,
    resolve_components,
    template_for,
    titles_of,
    write_update,
    written,
)
from tidings.incidents.rules import Audience


def create_maintenance(
    *,
    actor: str,
    title: object,
    scheduled_for: datetime,
    scheduled_until: datetime,
    body: object = None,
    template: str | None = None,
    template_values: dict[str, object] | None = None,
    components: dict[str, str] | None = None,
    auto_transition: bool = True,
    visibility: str = "public",
    audience: Audience = "all",
) -> Incident:
    """Plan a maintenance and announce it; without a ``body`` the ``template`` (by default
    "maintenance_scheduled") writes the announcement."""
    titles = titles_of(title, "a maintenance")
    audience = rules.check_audience(audience)
    rules.check_window(scheduled_for, scheduled_until)
    check_choice(visibility, ("public", "internal"), "visibility")
    # A planned maintenance names the components it will touch; their status changes only
    # when it starts, so here they are recorded but not applied.
    targets = resolve_components({cid: "under_maintenance" for cid in (components or {})})
    public_id = new_id()
    chosen = template_for(
        template or ("" if written(body) else "maintenance_scheduled"), "maintenance"
    )
    if chosen is not None and not written(body):
        bodies = templates.check_complete(
            templates.compose(
                template=chosen, title=titles, component_ids=[c.public_id for c, _ in targets],
                started_at=scheduled_for, next_update_due_at=None, incident_id=public_id,
                scheduled_for=scheduled_for, scheduled_until=scheduled_until,
                values=template_values,
            )
        )  # fmt: skip
    else:
        bodies = bodies_of(body, required=True)
    now = clock.now()
    incident = Incident.objects.create(
        public_id=public_id,
        kind="maintenance",
        title=default_text(titles),
        titles=titles,
        status="scheduled",
        impact="maintenance",
        visibility=visibility,
        created_at=now,
        updated_at=now,
        started_at=scheduled_for,
        scheduled_for=scheduled_for,
        scheduled_until=scheduled_until,
        auto_transition=auto_transition,
        created_by=actor,
    )
    for component, _ in targets:
        IncidentComponent.objects.create(
            incident=incident, component=component, status="under_maintenance"
        )
    events.record(
        kind="incident.created",
        actor=actor,
        subject_type="incident",
        subject_id=incident.public_id,
        incident_kind="maintenance",
        status="scheduled",
        scheduled_for=scheduled_for.isoformat(),
        scheduled_until=scheduled_until.isoformat(),
        public=incident.is_public,
    )
    affected = [
        {"code": c.public_id, "name": c.name, "old_status": c.status, "new_status": c.status}
        for c, _ in targets
    ]
    write_update(
        actor=actor,
        incident=incident,
        status="scheduled",
        bodies=bodies,
        affected=affected or None,
        next_due=None,
        at=now,
        audience=audience,
        template=chosen.key if chosen else "",
    )
    return incident


def run_due_maintenances(
    *, now: datetime, actor: str = "scheduler", audience: Audience = "affected"
) -> list[str]:
    """Start and complete automatic maintenances whose time has come; returns their ids.

    Rows are locked and re-read, so two schedulers running at once move each one once."""
    from django.db.models import Q

    due = Q(status="scheduled", scheduled_for__lte=now) | Q(
        status__in=rules.ACTIVE_MAINTENANCE_STATES, scheduled_until__lte=now
    )
    moved = []
    qs = Incident.objects.select_for_update(skip_locked=True).filter(
        due, kind="maintenance", auto_transition=True
    )
    for incident in qs:
        target = "in_progress" if incident.status == "scheduled" else "completed"
        key = "maintenance_started" if target == "in_progress" else "maintenance_completed"
        bodies = _automatic_text(incident, key, target)
        post(
            actor=actor,
            incident=incident,
            status=target,
            bodies=bodies,
            targets=[],
            next_update_due_at=None,
            at=now,
            audience=audience,
            template=key,
        )
        moved.append(incident.public_id)
    return moved


def _automatic_text(incident: Incident, key: str, status: str) -> dict[str, str]:
    """The text of a transition nobody is there to write: staff's version of the template,
    or the shipped one if theirs has a slot only a person can fill."""
    bodies = templates.compose_for(
        template=templates.get_template(key), incident=incident, status=status,
        next_update_due_at=None,
    )  # fmt: skip
    if templates.missing(bodies):
        bodies = templates.compose_for(
            template=DEFAULTS[key], incident=incident, status=status, next_update_due_at=None
        )
    return bodies
