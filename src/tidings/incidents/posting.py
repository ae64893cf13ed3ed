"""How an update is posted: the machinery every incident and maintenance use case shares
(component statuses set and released, the promised next update, the update row and its event).
Plain functions; the caller owns the transaction and has validated its own input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from tidings.comms import services as templates
from tidings.comms.rules import Template
from tidings.components import services as components
from tidings.components.models import Component
from tidings.config import get_settings
from tidings.core import db, events
from tidings.core.errors import InvalidInput, NotFound
from tidings.core.prepared import Insert, Read, Save
from tidings.core.text import check_localized, check_localized_line
from tidings.incidents import rules
from tidings.incidents.models import Incident, IncidentComponent, IncidentUpdate
from tidings.incidents.rules import Audience

_UNREAD = object()


@dataclass(frozen=True)
class Posted:
    """An update just written, its incident (locked) and the update before it (or None), as
    this transaction holds them: for the steps that run on its event (see
    :func:`tidings.core.db.recalled` with ``("posted", update id)``)."""

    incident: Incident
    update: IncidentUpdate
    previous: IncidentUpdate | None


def bodies_of(body: object, *, required: bool) -> dict[str, str]:
    return check_localized(
        body, field="body", max_chars=get_settings().max_body_chars, required=required
    )


def titles_of(value: object, what: str) -> dict[str, str]:
    """A title as text (the default language's) or per language: ``{"en": ..., "he": ...}``."""
    if not (value.strip() if isinstance(value, str) else value):
        raise InvalidInput(f"{what} needs a title")
    return check_localized_line(value, field="title", max_chars=200, required=True)


def template_for(key: str | None, kind: str) -> Template | None:
    """The template an update is written from, checked to fit the incident's kind."""
    if not key:
        return None
    template = templates.get_template(key)
    if template.kind != kind:
        raise InvalidInput(f"the template {key!r} is for a {template.kind}, not a {kind}")
    return template


def written(body: object) -> bool:
    """Whether the author wrote a body (else a template writes it)."""
    if isinstance(body, dict):
        return any(isinstance(v, str) and v.strip() for v in body.values())
    return bool(body.strip()) if isinstance(body, str) else body is not None


#: An update that sets component statuses locks them, in primary-key order, in one statement;
#: compiled once per thread on PostgreSQL, where ``__any`` sends the ids as one array.
_locked_components = Read(
    lambda public_ids: (
        Component.objects.filter(public_id__any=public_ids)
        .select_for_update(no_key=True)  # see tidings.core.db.locking
        .order_by("pk")
    ),
    ["\x00sample"],
)


def resolve_components(
    wanted: dict[str, str] | None, *, lock: bool = False
) -> list[tuple[Component, str]]:
    """The components named, with the statuses asked for. ``lock``: read them under their row
    locks, in primary-key order, in this one statement (the caller has locked the incident and
    will lock no other component: :func:`lock_components` then has nothing left to do)."""
    if not wanted:
        return []
    if lock and db.in_transaction():
        # Once per transaction (an update's honesty check, then its post): the rows stay
        # locked, and the steps after change these same objects as they write them.
        found = db.memo(
            ("locked components", tuple(sorted(wanted))),
            lambda: {c.public_id: db.mark_locked(c) for c in _locked_components(list(wanted))},
        )
    else:
        found = {c.public_id: c for c in Component.objects.filter(public_id__in=list(wanted))}
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise NotFound(_("unknown component id(s): %(ids)s") % {"ids": ", ".join(missing)})
    return [(found[cid], components.check_status(status)) for cid, status in wanted.items()]


def is_closed(status: str) -> bool:
    return rules.is_closed(status)


def check_choice(value: str | None, allowed: tuple[str, ...], field: str) -> None:
    if value and value not in allowed:
        raise InvalidInput(f"{field} must be one of {', '.join(allowed)}, not {value!r}")


def promised_next_update(
    *,
    status: str,
    severity: str | None,
    at: datetime,
    explicit: datetime | None = None,
    started_at: datetime | None = None,
) -> datetime | None:
    """When the next update is promised: the author's time if given (and in the future),
    else the staff's cadence policy for the severity and the time since ``started_at``
    (nothing once closed)."""
    if explicit is not None:
        if explicit <= at:
            raise InvalidInput("next_update_due_at must be in the future")
        return explicit
    from tidings.incidents import cadence, cadence_store

    return cadence.next_due(
        cadence_store.policy_for(severity), status=status, at=at, started_at=started_at
    )


def lock(incident: Incident) -> None:
    """Lock the incident's row and re-read it: it is the first lock a change of the incident
    takes (see tidings.core.db), and the status it moves from is then the committed one."""
    if incident.pk is not None and db.in_transaction() and not db.is_locked(incident):
        incident.refresh_from_db(from_queryset=db.locking(Incident.objects.all()))
        db.mark_locked(incident)


def lock_components(
    incident: Incident, targets: list[tuple[Component, str]], closing: bool
) -> list[tuple[Component, str]]:
    """Lock every component this post may change in one statement, in primary-key order: two
    posts naming the same components in different orders would otherwise each hold one and
    wait for the other. Returns the targets as re-read under the lock, in the order given."""
    ids = {c.pk for c, _ in targets}
    if closing:
        ids |= set(incident.impacts.values_list("component_id", flat=True))
    if not ids or not db.in_transaction():
        return targets
    if not closing and all(db.is_locked(c) for c, _ in targets):
        return targets  # read under lock by resolve_components(lock=True)
    fresh = {c.pk: c for c in db.locking(Component.objects.filter(pk__in=ids)).order_by("pk")}
    return [(fresh[c.pk], status) for c, status in targets]


def apply_components(
    *, actor: str, incident: Incident, targets: list[tuple[Component, str]]
) -> list[dict[str, str]]:
    if not targets:
        return []
    # Every component in a fixed number of statements (their rows are locked: lock_components).
    moved = components.set_statuses(actor=actor, targets=targets, incident_id=incident.pk)
    # The incident's hold on each, inserted or changed in one statement (not update_or_create:
    # a savepoint and a locking read per row). The incident row is locked, so nobody else can
    # add these pairs meanwhile.
    IncidentComponent.objects.bulk_create(
        [IncidentComponent(incident=incident, component=c, status=s) for c, s in targets],
        update_conflicts=True, unique_fields=["incident", "component"], update_fields=["status"],
    )  # fmt: skip
    return [
        component_change(c, old, new) for (c, _), (old, new) in zip(targets, moved, strict=True)
    ]


def component_change(component: Component, old: str, new: str) -> dict[str, str]:
    """One component's status change, as an update records it (a planned maintenance
    records its components unchanged: old and new the same)."""
    return {
        "code": component.public_id,
        "name": component.name,
        "old_status": old,
        "new_status": new,
    }


def release_components(*, actor: str, incident: Incident, keep: set[str]) -> list[dict[str, str]]:
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
            actor=actor,
            component=component,
            status="operational",
            incident_id=incident.pk,
            locked=True,  # by lock_components, and read since
        )
        changes.append(component_change(component, old, new))
    return changes


def stamp(incident: Incident, status: str, at: datetime) -> None:
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


@dataclass(frozen=True)
class Message:
    """What an update says, who says it, when and who is told: handed as one from the use
    case through :func:`post` to :func:`write_update`, which records it."""

    actor: str
    status: str
    bodies: dict[str, str]
    at: datetime
    audience: Audience = "affected"
    #: The template it was written from; None when the author wrote it.
    template: Template | None = None


def post(
    *,
    incident: Incident,
    message: Message,
    targets: list[tuple[Component, str]],
    next_update_due_at: datetime | None,
) -> IncidentUpdate:
    actor, status, at = message.actor, message.status, message.at
    old = incident.status
    backward = rules.check_transition(incident.kind, old, status)
    incident.status = status
    next_due = promised_next_update(
        status=status, severity=incident.severity, at=at, explicit=next_update_due_at,
        started_at=incident.started_at,
    )  # fmt: skip
    if incident.kind == "maintenance" and status == "in_progress" and not targets:
        targets = [
            (i.component, "under_maintenance") for i in incident.impacts.select_related("component")
        ]
    targets = lock_components(incident, targets, closing=rules.is_closed(status))
    affected = apply_components(actor=actor, incident=incident, targets=targets)
    if rules.is_closed(status):
        affected += release_components(
            actor=actor, incident=incident, keep={c.public_id for c, _ in targets}
        )
    # Recorded with the update's own event, in one INSERT (this one first, as before).
    status_event = (
        [
            dict(kind="incident.status_changed", actor=actor, subject_type="incident",
                 subject_id=incident.public_id, old=old, new=status, backward=backward,
                 public=incident.is_public)
        ]
        if old != status
        else []
    )  # fmt: skip
    stamp(incident, status, at)
    return write_update(
        incident=incident,
        message=message,
        affected=affected or None,
        next_due=next_due,
        events_before=status_event,
    )


#: Updates are only ever inserted (their model refuses any other save): built once per thread.
_insert_update = Insert(IncidentUpdate)
#: Every update writes its incident's row back (status, stamps, when the next one is due).
_save_incident = Save(Incident)


def write_update(
    *,
    incident: Incident,
    message: Message,
    affected: list[dict[str, str]] | None,
    next_due: datetime | None,
    events_before: list[dict[str, Any]] | None = None,
) -> IncidentUpdate:
    """Write the update and its event (after ``events_before``, recorded in the same INSERT)."""
    actor, status, at = message.actor, message.status, message.at
    # Internal incidents never reach customers.
    audience: Audience = message.audience if incident.is_public else "none"
    # The update before this one, when this transaction has read it already under the
    # incident's lock (the honesty check has): the late-update check reuses it.
    locked = db.is_locked(incident)
    previous: IncidentUpdate | object | None = (
        db.recalled(("latest update", incident.pk), _UNREAD) if locked else _UNREAD
    )
    update = _insert_update(
        IncidentUpdate(
            incident=incident,
            status=status,
            bodies=message.bodies,
            affected_components=affected,
            created_at=at,
            display_at=at,
            next_update_due_at=next_due,
            deliver_notifications=audience != "none",
            author=actor,
        )
    )
    if incident.acknowledged_at is None and incident.kind == "incident" and incident.is_public:
        incident.acknowledged_at = at
    incident.next_update_due_at = next_due
    incident.updated_at = at
    _save_incident(incident)
    if locked:
        db.remember(("latest update", incident.pk), update)
        if previous is None or isinstance(previous, IncidentUpdate):
            db.remember(("posted", update.public_id), Posted(incident, update, previous))
    posted = dict(
        kind="incident.update_posted",
        actor=actor,
        subject_type="incident",
        subject_id=incident.public_id,
        update_id=update.public_id,
        status=status,
        components=affected or [],
        next_update_due_at=next_due.isoformat() if next_due else None,
        audience=audience,
        template=message.template.key if message.template else "",
        public=incident.is_public,
    )
    events.record_many([*(events_before or []), posted])
    return update
