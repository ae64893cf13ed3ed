"""Scheduled maintenance use cases: plan one, and move due ones on their own. The caller owns
the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tidings.comms import services as templates
from tidings.comms.defaults import DEFAULTS
from tidings.comms.rules import Template
from tidings.core import clock
from tidings.core.errors import InvalidInput, InvalidTransition
from tidings.core.ids import new_id
from tidings.core.text import default_text
from tidings.incidents import eventlog, rules
from tidings.incidents.models import Incident, IncidentComponent, IncidentUpdate
from tidings.incidents.posting import (
    Message,
    bodies_of,
    check_choice,
    component_change,
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
    eventlog.record(
        "incident.created", actor, incident, incident_kind="maintenance", status="scheduled",
        scheduled_for=scheduled_for.isoformat(), scheduled_until=scheduled_until.isoformat(),
    )  # fmt: skip
    affected = [component_change(c, c.status, c.status) for c, _ in targets]
    message = Message(
        actor=actor, status="scheduled", bodies=bodies, at=now, audience=audience, template=chosen
    )
    write_update(incident=incident, message=message, affected=affected or None, next_due=None)
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
        template, bodies = _automatic_text(incident, key, target)
        message = Message(
            actor=actor, status=target, bodies=bodies, at=now, audience=audience, template=template
        )
        post(incident=incident, message=message, targets=[], next_update_due_at=None)
        moved.append(incident.public_id)
    return moved


def _automatic_text(incident: Incident, key: str, status: str) -> tuple[Template, dict[str, str]]:
    """The text of a transition nobody is there to write, and the template that wrote it:
    staff's version of the template, or the shipped one if theirs has a slot only a person
    can fill."""
    template = templates.get_template(key)
    bodies = templates.compose_for(
        template=template, incident=incident, status=status, next_update_due_at=None
    )
    if templates.missing(bodies):
        template = DEFAULTS[key]
        bodies = templates.compose_for(
            template=template, incident=incident, status=status, next_update_due_at=None
        )
    return template, bodies


# --- staff changing a planned or running maintenance --------------------------------------
# Each tells subscribers through the phase's template unless the author writes the text, and
# checks everything before it writes anything.


@dataclass(frozen=True)
class Notice:
    """What a staff change to a maintenance tells subscribers: the author's text (else the
    phase's template) and who hears it (else the phase's usual audience). One object for all
    five changes, so the API and the console pass it on without knowing each one's defaults."""

    body: object = None
    audience: Audience | None = None


#: The phase's own template, to the phase's usual audience.
TEMPLATED = Notice()


@dataclass(frozen=True)
class _Phase:
    """A staff change: the states it moves from, the word its refusal uses, the template that
    announces it and who hears it by default."""

    allowed: tuple[str, ...]
    doing: str
    template: str
    audience: Audience


# A planned window moved or called off concerns everyone who may plan around it; a change to
# one under way concerns those it touches.
_RESCHEDULE = _Phase(("scheduled",), "rescheduled", "maintenance_scheduled", "all")
_START = _Phase(("scheduled",), "started", "maintenance_started", "affected")
_EXTEND = _Phase(rules.ACTIVE_MAINTENANCE_STATES, "extended", "maintenance_extended", "affected")
_FINISH = _Phase(rules.ACTIVE_MAINTENANCE_STATES, "completed", "maintenance_completed", "affected")
_CANCEL = _Phase(("scheduled", "in_progress"), "cancelled", "maintenance_cancelled", "all")


def _locked_maintenance(incident: Incident, phase: _Phase) -> None:
    from tidings.incidents.posting import lock

    lock(incident)
    if incident.kind != "maintenance":
        raise InvalidTransition(f"only a maintenance can be {phase.doing}")
    if incident.status not in phase.allowed:
        raise InvalidTransition(f"a maintenance that is {incident.status} cannot be {phase.doing}")


def _audience(phase: _Phase, notice: Notice) -> Audience:
    return phase.audience if notice.audience is None else notice.audience


def _announce(*, actor: str, incident: Incident, phase: _Phase, notice: Notice) -> IncidentUpdate:
    from tidings.incidents.services import post_update

    body = notice.body
    return post_update(
        actor=actor, incident=incident, body=body if written(body) else None,
        template=None if written(body) else phase.template, audience=_audience(phase, notice),
    )  # fmt: skip


def reschedule(
    *,
    actor: str,
    incident: Incident,
    scheduled_for: datetime,
    scheduled_until: datetime,
    notice: Notice = TEMPLATED,
) -> IncidentUpdate:
    """Move a maintenance that has not started to a new window, and say so."""
    _locked_maintenance(incident, _RESCHEDULE)
    rules.check_window(scheduled_for, scheduled_until)
    if scheduled_for <= clock.now():
        raise InvalidInput("scheduled_for must be in the future; to begin now, start it early")
    rules.check_audience(_audience(_RESCHEDULE, notice))
    if written(notice.body):
        bodies_of(notice.body, required=True)
    incident.scheduled_for = incident.started_at = scheduled_for
    incident.scheduled_until = scheduled_until
    incident.save(update_fields=["scheduled_for", "started_at", "scheduled_until"])
    _window_event(actor, incident)
    return _announce(actor=actor, incident=incident, phase=_RESCHEDULE, notice=notice)


def start_early(*, actor: str, incident: Incident, notice: Notice = TEMPLATED) -> IncidentUpdate:
    """Begin a planned maintenance now."""
    _locked_maintenance(incident, _START)
    rules.check_audience(_audience(_START, notice))
    now = clock.now()
    if incident.scheduled_until is not None and incident.scheduled_until <= now:
        raise InvalidInput("its window is over: reschedule it instead")
    incident.scheduled_for = now
    incident.save(update_fields=["scheduled_for"])
    return _announce(actor=actor, incident=incident, phase=_START, notice=notice)


def extend(
    *, actor: str, incident: Incident, scheduled_until: datetime, notice: Notice = TEMPLATED
) -> IncidentUpdate:
    """A running maintenance takes longer: a new end, and subscribers told when."""
    _locked_maintenance(incident, _EXTEND)
    rules.check_audience(_audience(_EXTEND, notice))
    if scheduled_until <= clock.now() or (
        incident.scheduled_until is not None and scheduled_until <= incident.scheduled_until
    ):
        raise InvalidInput("scheduled_until must be later than the current end and than now")
    incident.scheduled_until = scheduled_until
    incident.save(update_fields=["scheduled_until"])
    _window_event(actor, incident)
    return _announce(actor=actor, incident=incident, phase=_EXTEND, notice=notice)


def finish(*, actor: str, incident: Incident, notice: Notice = TEMPLATED) -> IncidentUpdate:
    """Complete a running maintenance now."""
    _locked_maintenance(incident, _FINISH)
    return _announce(actor=actor, incident=incident, phase=_FINISH, notice=notice)


def cancel(*, actor: str, incident: Incident, notice: Notice = TEMPLATED) -> IncidentUpdate:
    """Call off a maintenance that is planned or running; its components are released."""
    _locked_maintenance(incident, _CANCEL)
    return _announce(actor=actor, incident=incident, phase=_CANCEL, notice=notice)


def _window_event(actor: str, incident: Incident) -> None:
    eventlog.record(
        "incident.changed", actor, incident,
        fields={"scheduled_for": incident.scheduled_for.isoformat() if incident.scheduled_for else None,
                "scheduled_until": incident.scheduled_until.isoformat() if incident.scheduled_until else None},
    )  # fmt: skip
