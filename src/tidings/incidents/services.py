"""Incident use cases: declare, update, change. Every function validates everything before it
writes anything, so a rejected request leaves no trace; the caller owns the transaction.
Maintenances are in :mod:`maintenances`, an incident page's FAQ and resources in
:mod:`content`, the shared posting machinery in :mod:`posting`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tidings.comms import services as templates
from tidings.components.rules import impact_from_components
from tidings.core import clock, db
from tidings.core.errors import InvalidInput, InvalidTransition
from tidings.core.ids import new_id
from tidings.core.prepared import Read
from tidings.core.text import default_text
from tidings.incidents import eventlog, rules
from tidings.incidents.models import Incident, IncidentUpdate
from tidings.incidents.posting import (
    Message,
    bodies_of,
    check_choice,
    lock,
    post,
    promised_next_update,
    resolve_components,
    template_for,
    titles_of,
    written,
)
from tidings.incidents.rules import Audience

_CHANGEABLE = (
    "title", "severity", "impact", "visibility", "eta_at", "eta_confidence", "data_impact",
    "comms_owner", "commander",
)  # fmt: skip


#: Every update, change and FAQ entry of the staff API reads its incident first (an update
#: under lock): compiled once per thread.
_incident = Read(lambda public_id: Incident.objects.filter(public_id=public_id), "\x00sample")
_locked_incident = Read(
    lambda public_id: db.locking(Incident.objects.filter(public_id=public_id)), "\x00sample"
)


def get_incident(public_id: str, kind: str | None = None, *, lock: bool = False) -> Incident:
    """``lock``: read it under its row lock (when in a transaction), the first lock a change
    of the incident takes, so the change need not lock and read it again."""
    if not kind and not lock:
        return db.read_by_public_id(_incident, public_id, "incident")
    if lock and not kind and db.in_transaction():
        return db.lock_by_public_id(_locked_incident, public_id, "incident")
    qs = Incident.objects.filter(kind=kind) if kind else Incident.objects.all()
    return db.by_public_id(qs, public_id, kind or "incident", lock=lock)


def lock_for_update(incident: Incident) -> None:
    """Lock the incident's row (and re-read it) before deciding anything about it."""
    lock(incident)


def create_incident(
    *,
    actor: str,
    title: object,
    body: object = None,
    template: str | None = None,
    template_values: dict[str, object] | None = None,
    severity: str = "SEV3",
    impact: str | None = None,
    status: str = "investigating",
    visibility: str = "public",
    components: dict[str, str] | None = None,
    started_at: datetime | None = None,
    next_update_due_at: datetime | None = None,
    eta_at: datetime | None = None,
    eta_confidence: str = "",
    data_impact: bool = False,
    audience: Audience = "affected",
) -> Incident:
    """Declare an incident and publish its first update, the public acknowledgement. The
    message is the author's ``body``, or a ``template`` filled from the incident (and the
    author's ``template_values`` for its slots)."""
    audience = rules.check_audience(audience)
    titles = titles_of(title, "an incident")
    chosen = template_for(template, "incident")
    status = (chosen.status if chosen else "") or status
    rules.check_transition("incident", "investigating", status)
    check_choice(severity, rules.SEVERITIES, "severity")
    check_choice(impact, rules.IMPACTS[:4], "impact")
    check_choice(visibility, ("public", "internal"), "visibility")
    check_choice(eta_confidence, rules.ETA_CONFIDENCE, "eta_confidence")
    targets = resolve_components(components)
    now = clock.now()
    if started_at is not None and started_at > now:
        raise InvalidInput("started_at cannot be in the future")
    public_id = new_id()
    if chosen is not None and not written(body):
        bodies = templates.check_complete(
            templates.compose(
                template=chosen, title=titles, component_ids=[c.public_id for c, _ in targets],
                started_at=started_at or now, incident_id=public_id, values=template_values,
                next_update_due_at=promised_next_update(
                    status=status, severity=severity, at=now, explicit=next_update_due_at
                ),
            )
        )  # fmt: skip
    else:
        bodies = bodies_of(body, required=True)
    incident = Incident.objects.create(
        public_id=public_id,
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
        data_impact=data_impact,
        created_by=actor,
    )
    eventlog.record(
        "incident.created", actor, incident,
        incident_kind="incident", status=status, impact=incident.impact, severity=severity,
    )  # fmt: skip
    message = Message(
        actor=actor, status=status, bodies=bodies, at=now, audience=audience, template=chosen
    )
    post(incident=incident, message=message, targets=targets, next_update_due_at=next_update_due_at)
    return incident


def post_update(
    *,
    actor: str,
    incident: Incident,
    status: str | None = None,
    body: object = None,
    template: str | None = None,
    template_values: dict[str, object] | None = None,
    components: dict[str, str] | None = None,
    impact: str | None = None,
    next_update_due_at: datetime | None = None,
    audience: Audience = "affected",
) -> IncidentUpdate:
    """Post an update: a status (maybe the same, "still working on it"), a message and the
    component statuses it sets. ``audience`` says who is notified: ``affected`` (subscribers and
    customers of the incident's components), ``all``, ``none``, or a segment
    (``{"plans": [...], "strategic": true, "customers": [...]}``). Without a ``status`` the
    template's applies, else the current one; without a ``body`` the template writes it."""
    lock(incident)
    check_choice(impact, rules.IMPACTS[:4], "impact")
    audience = rules.check_audience(audience)
    if incident.kind == "maintenance" and impact:
        raise InvalidInput("a maintenance has no impact to set")
    chosen = template_for(template, incident.kind)
    status = status or (chosen.status if chosen else "") or incident.status
    # Not when closing: the components it releases are locked with these, in one order.
    targets = resolve_components(components, lock=not rules.is_closed(status))
    if chosen is not None and not written(body):
        rules.check_transition(incident.kind, incident.status, status)
        due = promised_next_update(
            status=status, severity=incident.severity, at=clock.now(), explicit=next_update_due_at,
            started_at=incident.started_at,
        )  # fmt: skip
        bodies = templates.check_complete(
            templates.compose_for(
                template=chosen, incident=incident, status=status, next_update_due_at=due,
                values=template_values, component_ids=[c.public_id for c, _ in targets] or None,
            )
        )  # fmt: skip
    else:
        bodies = bodies_of(body, required=True)
    if (
        rules.is_closed(incident.status)
        and rules.is_closed(status)
        and incident.kind == "maintenance"
    ):
        raise InvalidTransition(f"this maintenance is {incident.status} already")
    now = clock.now()
    if impact:
        incident.impact = impact
    message = Message(
        actor=actor, status=status, bodies=bodies, at=now, audience=audience, template=chosen
    )
    return post(
        incident=incident, message=message, targets=targets, next_update_due_at=next_update_due_at
    )


def change_incident(*, actor: str, incident: Incident, **fields: Any) -> Incident:
    unknown = set(fields) - set(_CHANGEABLE)
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} here")
    titles = titles_of(fields.pop("title"), "an incident") if "title" in fields else None
    check_choice(fields.get("severity"), rules.SEVERITIES, "severity")
    check_choice(fields.get("impact"), rules.IMPACTS, "impact")
    check_choice(fields.get("visibility"), ("public", "internal"), "visibility")
    check_choice(fields.get("eta_confidence"), rules.ETA_CONFIDENCE, "eta_confidence")
    if titles is not None:
        fields["titles"], fields["title"] = titles, default_text(titles)
    for name in ("comms_owner", "commander"):
        if name in fields:
            fields[name] = _staff_name(name, fields[name])
    lock(incident)
    before = {name: getattr(incident, name) for name in fields}
    for name, value in fields.items():
        setattr(incident, name, "" if value is None and name == "eta_confidence" else value)
    incident.updated_at = clock.now()
    incident.save()
    internal_only = set(fields) <= {
        "eta_at",
        "eta_confidence",
        "severity",
        "data_impact",
        "comms_owner",
        "commander",
    }
    eventlog.record(
        "incident.changed", actor, incident, public=not internal_only,
        fields={k: [_plain(before[k]), _plain(getattr(incident, k))] for k in fields},
    )  # fmt: skip
    return incident


def _staff_name(field: str, value: object) -> str:
    from django.contrib.auth import get_user_model

    name = str(value or "").strip()
    users = get_user_model().objects.filter(is_active=True, is_staff=True)
    if name and not users.filter(username=name).exists():
        raise InvalidInput(f"{field}: no active staff member {name!r}")
    return name


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value
