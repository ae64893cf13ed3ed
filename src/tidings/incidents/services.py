"""Incident and maintenance use cases. Every function validates everything before it writes
anything, so a rejected request leaves no trace; the caller owns the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tidings.components import services as components
from tidings.components.models import Component
from tidings.components.rules import impact_from_components
from tidings.config import get_settings
from tidings.core import clock, events
from tidings.core.errors import InvalidInput, InvalidTransition, NotFound
from tidings.core.text import check_localized, check_localized_line, default_text
from tidings.incidents import rules
from tidings.incidents.models import FaqEntry, Incident, IncidentComponent, IncidentUpdate, Resource
from tidings.incidents.rules import Audience

_CHANGEABLE = ("title", "severity", "impact", "visibility", "eta_at", "eta_confidence")


def get_incident(public_id: str, kind: str | None = None) -> Incident:
    qs = Incident.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    try:
        return qs.get(public_id=public_id)
    except Incident.DoesNotExist:
        raise NotFound(f"no {kind or 'incident'} with id {public_id!r}") from None


def _bodies(body: object, *, required: bool) -> dict[str, str]:
    return check_localized(
        body, field="body", max_chars=get_settings().max_body_chars, required=required
    )


def _titles(value: object, what: str) -> dict[str, str]:
    """A title as text (the default language's) or per language: ``{"en": ..., "he": ...}``."""
    if not (value.strip() if isinstance(value, str) else value):
        raise InvalidInput(f"{what} needs a title")
    return check_localized_line(value, field="title", max_chars=200, required=True)


def _resolve_components(wanted: dict[str, str] | None) -> list[tuple[Component, str]]:
    if not wanted:
        return []
    found = {c.public_id: c for c in Component.objects.filter(public_id__in=list(wanted))}
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise NotFound(f"unknown component id(s): {', '.join(missing)}")
    return [(found[cid], components.check_status(status)) for cid, status in wanted.items()]


def _check_choice(value: str | None, allowed: tuple[str, ...], field: str) -> None:
    if value and value not in allowed:
        raise InvalidInput(f"{field} must be one of {', '.join(allowed)}, not {value!r}")


def _promised(incident: Incident, at: datetime, explicit: datetime | None) -> datetime | None:
    if explicit is not None:
        if explicit <= at:
            raise InvalidInput("next_update_due_at must be in the future")
        return explicit
    s = get_settings()
    return rules.next_update_due(
        status=incident.status,
        severity=incident.severity or None,
        at=at,
        sev1_minutes=s.update_interval_minutes_sev1,
        other_minutes=s.update_interval_minutes_other,
    )


def _apply_components(
    *, actor: str, incident: Incident, targets: list[tuple[Component, str]]
) -> list[dict[str, str]]:
    changes = []
    for component, status in targets:
        old, new = components.set_status(
            actor=actor, component=component, status=status, incident_id=incident.pk
        )
        IncidentComponent.objects.update_or_create(
            incident=incident, component=component, defaults={"status": status}
        )
        changes.append(
            {
                "code": component.public_id,
                "name": component.name,
                "old_status": old,
                "new_status": new,
            }
        )
    return changes


def _release_components(*, actor: str, incident: Incident, keep: set[str]) -> list[dict[str, str]]:
    """On close, return components this incident held to operational unless another open
    incident still holds them."""
    changes = []
    for impact in incident.impacts.select_related("component"):
        component = impact.component
        if component.public_id in keep or component.status == "operational":
            continue
        held = IncidentComponent.objects.filter(component=component).exclude(incident=incident)
        if (
            held.exclude(incident__status__in=rules.CLOSED_STATES)
            .exclude(incident__status="scheduled")
            .exists()
        ):
            continue
        old, new = components.set_status(
            actor=actor, component=component, status="operational", incident_id=incident.pk
        )
        changes.append(
            {
                "code": component.public_id,
                "name": component.name,
                "old_status": old,
                "new_status": new,
            }
        )
    return changes


def _stamp(incident: Incident, status: str, at: datetime) -> None:
    if status == "identified" and incident.identified_at is None:
        incident.identified_at = at
    if status == "monitoring" and incident.monitoring_at is None:
        incident.monitoring_at = at
    if rules.is_closed(status):
        incident.resolved_at = at
    elif incident.resolved_at is not None:
        incident.resolved_at = None  # reopened
    if status == "in_progress" and incident.started_at > at:
        incident.started_at = at


def create_incident(
    *,
    actor: str,
    title: object,
    body: object,
    severity: str = "SEV3",
    impact: str | None = None,
    status: str = "investigating",
    visibility: str = "public",
    components: dict[str, str] | None = None,
    started_at: datetime | None = None,
    next_update_due_at: datetime | None = None,
    eta_at: datetime | None = None,
    eta_confidence: str = "",
    audience: Audience = "affected",
) -> Incident:
    """Declare an incident and publish its first update, the public acknowledgement."""
    audience = rules.check_audience(audience)
    titles = _titles(title, "an incident")
    rules.check_transition("incident", "investigating", status)
    _check_choice(severity, rules.SEVERITIES, "severity")
    _check_choice(impact, rules.IMPACTS[:4], "impact")
    _check_choice(visibility, ("public", "internal"), "visibility")
    _check_choice(eta_confidence, rules.ETA_CONFIDENCE, "eta_confidence")
    bodies = _bodies(body, required=True)
    targets = _resolve_components(components)
    now = clock.now()
    if started_at is not None and started_at > now:
        raise InvalidInput("started_at cannot be in the future")
    incident = Incident.objects.create(
        kind="incident",
        title=default_text(titles),
        titles=titles,
        status=status,
        impact=impact or impact_from_components(s for _, s in targets),
        severity=severity,
        visibility=visibility,
        created_at=now,
        updated_at=now,
        started_at=started_at or now,
        eta_at=eta_at,
        eta_confidence=eta_confidence,
        created_by=actor,
    )
    events.record(
        kind="incident.created",
        actor=actor,
        subject_type="incident",
        subject_id=incident.public_id,
        incident_kind="incident",
        status=status,
        impact=incident.impact,
        severity=severity,
        public=incident.is_public,
    )
    _post(
        actor=actor,
        incident=incident,
        status=status,
        bodies=bodies,
        targets=targets,
        next_update_due_at=next_update_due_at,
        at=now,
        audience=audience,
    )
    return incident


def create_maintenance(
    *,
    actor: str,
    title: object,
    body: object,
    scheduled_for: datetime,
    scheduled_until: datetime,
    components: dict[str, str] | None = None,
    auto_transition: bool = True,
    visibility: str = "public",
    audience: Audience = "all",
) -> Incident:
    titles = _titles(title, "a maintenance")
    audience = rules.check_audience(audience)
    rules.check_window(scheduled_for, scheduled_until)
    _check_choice(visibility, ("public", "internal"), "visibility")
    bodies = _bodies(body, required=True)
    # A planned maintenance names the components it will touch; their status changes only
    # when it starts, so here they are recorded but not applied.
    targets = _resolve_components({cid: "under_maintenance" for cid in (components or {})})
    now = clock.now()
    incident = Incident.objects.create(
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
    _write_update(
        actor=actor,
        incident=incident,
        status="scheduled",
        bodies=bodies,
        affected=affected or None,
        next_due=None,
        at=now,
        audience=audience,
    )
    return incident


def post_update(
    *,
    actor: str,
    incident: Incident,
    status: str,
    body: object,
    components: dict[str, str] | None = None,
    impact: str | None = None,
    next_update_due_at: datetime | None = None,
    audience: Audience = "affected",
) -> IncidentUpdate:
    """Post an update: a status (maybe the same, "still working on it"), a message and the
    component statuses it sets. ``audience`` says who is notified: ``affected`` (subscribers and
    customers of the incident's components), ``all``, ``none``, or a segment
    (``{"plans": [...], "strategic": true, "customers": [...]}``)."""
    _check_choice(impact, rules.IMPACTS[:4], "impact")
    audience = rules.check_audience(audience)
    if incident.kind == "maintenance" and impact:
        raise InvalidInput("a maintenance has no impact to set")
    bodies = _bodies(body, required=True)
    targets = _resolve_components(components)
    if (
        rules.is_closed(incident.status)
        and rules.is_closed(status)
        and incident.kind == "maintenance"
    ):
        raise InvalidTransition(f"this maintenance is {incident.status} already")
    now = clock.now()
    if impact:
        incident.impact = impact
    return _post(
        actor=actor,
        incident=incident,
        status=status,
        bodies=bodies,
        targets=targets,
        next_update_due_at=next_update_due_at,
        at=now,
        audience=audience,
    )


def _post(
    *,
    actor: str,
    incident: Incident,
    status: str,
    bodies: dict[str, str],
    targets: list[tuple[Component, str]],
    next_update_due_at: datetime | None,
    at: datetime,
    audience: Audience = "affected",
) -> IncidentUpdate:
    old = incident.status
    backward = rules.check_transition(incident.kind, old, status)
    incident.status = status
    next_due = _promised(incident, at, next_update_due_at)
    if incident.kind == "maintenance" and status == "in_progress" and not targets:
        targets = [
            (i.component, "under_maintenance") for i in incident.impacts.select_related("component")
        ]
    affected = _apply_components(actor=actor, incident=incident, targets=targets)
    if rules.is_closed(status):
        affected += _release_components(
            actor=actor, incident=incident, keep={c.public_id for c, _ in targets}
        )
    if old != status:
        events.record(
            kind="incident.status_changed",
            actor=actor,
            subject_type="incident",
            subject_id=incident.public_id,
            old=old,
            new=status,
            backward=backward,
            public=incident.is_public,
        )
    _stamp(incident, status, at)
    return _write_update(
        actor=actor,
        incident=incident,
        status=status,
        bodies=bodies,
        affected=affected or None,
        next_due=next_due,
        at=at,
        audience=audience,
    )


def _write_update(
    *,
    actor: str,
    incident: Incident,
    status: str,
    bodies: dict[str, str],
    affected: list[dict[str, str]] | None,
    next_due: datetime | None,
    at: datetime,
    audience: Audience = "affected",
) -> IncidentUpdate:
    if not incident.is_public:
        audience = "none"  # internal incidents never reach customers
    update = IncidentUpdate.objects.create(
        incident=incident,
        status=status,
        bodies=bodies,
        affected_components=affected,
        created_at=at,
        display_at=at,
        next_update_due_at=next_due,
        deliver_notifications=audience != "none",
        author=actor,
    )
    if incident.acknowledged_at is None and incident.kind == "incident" and incident.is_public:
        incident.acknowledged_at = at
    incident.next_update_due_at = next_due
    incident.updated_at = at
    incident.save()
    events.record(
        kind="incident.update_posted",
        actor=actor,
        subject_type="incident",
        subject_id=incident.public_id,
        update_id=update.public_id,
        status=status,
        components=affected or [],
        next_update_due_at=next_due.isoformat() if next_due else None,
        audience=audience,
        public=incident.is_public,
    )
    return update


def change_incident(*, actor: str, incident: Incident, **fields: Any) -> Incident:
    unknown = set(fields) - set(_CHANGEABLE)
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} here")
    titles = _titles(fields.pop("title"), "an incident") if "title" in fields else None
    _check_choice(fields.get("severity"), rules.SEVERITIES, "severity")
    _check_choice(fields.get("impact"), rules.IMPACTS, "impact")
    _check_choice(fields.get("visibility"), ("public", "internal"), "visibility")
    _check_choice(fields.get("eta_confidence"), rules.ETA_CONFIDENCE, "eta_confidence")
    if titles is not None:
        fields["titles"], fields["title"] = titles, default_text(titles)
    before = {name: getattr(incident, name) for name in fields}
    for name, value in fields.items():
        setattr(incident, name, "" if value is None and name == "eta_confidence" else value)
    incident.updated_at = clock.now()
    incident.save()
    internal_only = set(fields) <= {"eta_at", "eta_confidence", "severity"}
    events.record(
        kind="incident.changed",
        actor=actor,
        subject_type="incident",
        subject_id=incident.public_id,
        fields={k: [_plain(before[k]), _plain(getattr(incident, k))] for k in fields},
        public=not internal_only,
    )
    return incident


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def add_faq(
    *, actor: str, incident: Incident, question: object, answer: object, position: int = 0
) -> FaqEntry:
    limit = get_settings().max_body_chars
    entry = FaqEntry.objects.create(
        incident=incident,
        question=check_localized(question, field="question", max_chars=500, required=True),
        answer=check_localized(answer, field="answer", max_chars=limit, required=True),
        position=position,
        updated_at=clock.now(),
    )
    events.record(
        kind="incident.faq_changed",
        actor=actor,
        subject_type="incident",
        subject_id=incident.public_id,
        faq_id=entry.pk,
        public=incident.is_public,
    )
    return entry


def add_resource(
    *,
    actor: str,
    incident: Incident,
    kind: str,
    title: object,
    body: object = None,
    url: str = "",
    position: int = 0,
) -> Resource:
    _check_choice(kind, ("workaround", "link"), "kind")
    if url and not url.startswith(("https://", "http://")):
        raise InvalidInput("url must start with http:// or https://")
    limit = get_settings().max_body_chars
    resource = Resource.objects.create(
        incident=incident,
        kind=kind,
        title=check_localized(title, field="title", max_chars=200, required=True),
        body=check_localized(body, field="body", max_chars=limit, required=False),
        url=url,
        position=position,
        updated_at=clock.now(),
    )
    events.record(
        kind="incident.resource_changed",
        actor=actor,
        subject_type="incident",
        subject_id=incident.public_id,
        resource_id=resource.pk,
        public=incident.is_public,
    )
    return resource


def run_due_maintenances(
    *, now: datetime, actor: str = "scheduler", audience: Audience = "affected"
) -> list[str]:
    """Start and complete automatic maintenances whose time has come; returns their ids.

    Rows are locked and re-read, so two schedulers running at once move each one once."""
    from django.db.models import Q
    from django.utils import translation

    due = Q(status="scheduled", scheduled_for__lte=now) | Q(
        status__in=rules.ACTIVE_MAINTENANCE_STATES, scheduled_until__lte=now
    )
    moved = []
    qs = Incident.objects.select_for_update(skip_locked=True).filter(
        due, kind="maintenance", auto_transition=True
    )
    for incident in qs:
        target = "in_progress" if incident.status == "scheduled" else "completed"
        bodies = {}
        for lang in ("en", "he"):
            with translation.override(lang):
                bodies[lang] = str(
                    translation.gettext("Scheduled maintenance is currently in progress.")
                    if target == "in_progress"
                    else translation.gettext("The scheduled maintenance has been completed.")
                )
        _post(
            actor=actor,
            incident=incident,
            status=target,
            bodies=bodies,
            targets=[],
            next_update_due_at=None,
            at=now,
            audience=audience,
        )
        moved.append(incident.public_id)
    return moved
