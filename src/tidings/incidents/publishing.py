"""The one path by which staff publish: a declaration or an update, checked first.

The console and the API both publish through :func:`declare` and :func:`publish_update`.
Checks that must run before anything is published (the author's view is stale; later the
honesty checks and approval of "Honest and on time") are functions in :data:`CHECKS`, each
raising a :class:`~tidings.core.errors.DomainError` to stop the publication. The caller owns
the transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tidings.core import db, events
from tidings.core.errors import InvalidInput, InvalidTransition
from tidings.core.prepared import Read
from tidings.incidents import services
from tidings.incidents.checking import honesty_check
from tidings.incidents.models import Incident, IncidentUpdate


@dataclass(frozen=True)
class Draft:
    """What is about to be published: the incident (None when declaring one) and the fields
    of :func:`services.create_incident` or :func:`services.post_update`."""

    actor: str
    incident: Incident | None
    fields: dict[str, Any] = field(default_factory=dict)
    #: Honesty warnings the author overrides: code -> reason.
    overrides: dict[str, str] = field(default_factory=dict)
    #: The author's internal confidence in a repair estimate (low, medium, high); never shown.
    confidence: str = ""
    #: Filled by the checks: the overrides that answered a warning (code -> reason).
    overridden: dict[str, str] = field(default_factory=dict)


#: Run in order before a draft is published; each may raise to refuse it.
CHECKS: list[Callable[[Draft], None]] = [honesty_check]


class NewerUpdate(InvalidTransition):
    """Someone posted to the incident after the update the author's draft was based on."""

    def __init__(self, newer: list[IncidentUpdate]) -> None:
        who = ", ".join(sorted({u.author for u in newer}))
        super().__init__(
            f"{len(newer)} newer update(s) by {who} were posted since the one this was based on; "
            "read them, then post again to confirm"
        )
        self.newer = newer


def latest_update(incident: Incident) -> IncidentUpdate | None:
    """Read once per transaction while the incident is locked: nobody else can post to it
    then, and :func:`tidings.incidents.posting.write_update` keeps the answer current."""
    if not db.is_locked(incident):
        return _latest(incident)
    return db.memo(("latest update", incident.pk), lambda: _latest(incident))


def _latest(incident: Incident) -> IncidentUpdate | None:
    found = _latest_of(incident.pk)
    if not found:
        return None
    found[0].incident = incident  # as incident.updates would: the same object, no query
    return found[0]


#: Read by every update's checks and post (core.prepared: compiled once per thread).
_latest_of = Read(
    lambda incident_id: IncidentUpdate.objects.filter(incident_id=incident_id).order_by(
        "-created_at", "-id"
    )[:1],
    -1,
)


def newer_than(incident: Incident, based_on: str) -> list[IncidentUpdate]:
    """Updates of ``incident`` posted after the one with id ``based_on``, oldest first. An id
    that is not one of its updates counts as "before all of them"."""
    base = incident.updates.filter(public_id=based_on).first()
    qs = incident.updates.order_by("created_at", "id")
    if base is not None:
        qs = qs.filter(id__gt=base.id)
    return list(qs)


def check_based_on(incident: Incident, based_on: str | None) -> None:
    """Refuse a draft written while looking at an older state of the incident. ``None``: the
    author did not say (API clients that predate the check); "" means "no update yet"."""
    if based_on is None:
        return
    newer = newer_than(incident, based_on) if based_on else list(incident.updates.all())
    if newer:
        raise NewerUpdate(newer)


def checked(*, actor: str, incident: Incident | None, fields: dict[str, Any]) -> Draft:
    """Run :data:`CHECKS` over a draft; ``fields`` loses the keys that are not the services'
    (``overrides``, ``confidence``)."""
    confidence = fields.pop("confidence", None) or ""
    if confidence not in ("", "low", "medium", "high"):
        raise InvalidInput("confidence must be one of low, medium, high", field="confidence")
    if incident is not None and fields.pop("data_impact", None) and not incident.data_impact:
        # The author says this update is the one that finds customer data touched.
        services.change_incident(actor=actor, incident=incident, data_impact=True)
    draft = Draft(
        actor=actor, incident=incident, fields=fields,
        overrides=dict(fields.pop("overrides", None) or {}), confidence=confidence,
    )  # fmt: skip
    for check in CHECKS:
        check(draft)
    return draft


def _record(draft: Draft, update: IncidentUpdate) -> None:
    """Keep the internal confidence and each override's reason on the update (written just
    now, in this transaction) and in the event log."""
    if draft.overridden or draft.confidence:
        IncidentUpdate.objects.filter(pk=update.pk).update(
            overrides=draft.overridden, confidence=draft.confidence
        )
        update.overrides, update.confidence = draft.overridden, draft.confidence
    for code, reason in draft.overridden.items():
        events.record(
            kind="incident.check_overridden", actor=draft.actor, subject_type="incident",
            subject_id=update.incident.public_id, update_id=update.public_id, code=code,
            reason=reason, public=False,
        )  # fmt: skip


def declare(*, actor: str, **fields: Any) -> Incident:
    """Declare an incident and publish its first update."""
    draft = checked(actor=actor, incident=None, fields=fields)
    incident = services.create_incident(actor=actor, **fields)
    first = latest_update(incident)
    if first is not None:
        _record(draft, first)
    return incident


def publish_update(
    *, actor: str, incident: Incident, based_on: str | None = None, **fields: Any
) -> IncidentUpdate:
    """Post an update, unless a newer one arrived since the one the author was looking at."""
    services.lock_for_update(incident)
    check_based_on(incident, based_on)
    draft = checked(actor=actor, incident=incident, fields=fields)
    update = services.post_update(actor=actor, incident=incident, **fields)
    _record(draft, update)
    return update


@dataclass(frozen=True)
class Prepared:
    """A draft as it would be published: the incident (unsaved when being declared), the
    status, the text per language, the promised next update and the components it sets."""

    incident: Incident
    status: str
    bodies: dict[str, str]
    next_update_due_at: Any
    targets: list[tuple[Any, str]]
    missing: dict[str, list[str]]


def prepare(
    *,
    incident: Incident | None,
    title: object = None,
    body: object = None,
    template: str | None = None,
    template_values: dict[str, object] | None = None,
    status: str | None = None,
    severity: str = "SEV3",
    impact: str | None = None,
    components: dict[str, str] | None = None,
    next_update_due_at: Any = None,
    **_rest: Any,
) -> Prepared:
    """Compose a draft the way :func:`declare` and :func:`publish_update` would, writing
    nothing; slots left unfilled are reported in ``missing`` instead of refused."""
    from tidings.comms import services as templates
    from tidings.components.rules import impact_from_components
    from tidings.core import clock
    from tidings.core.ids import new_id
    from tidings.core.text import default_text
    from tidings.incidents.posting import (
        bodies_of,
        is_closed,
        promised_next_update,
        resolve_components,
        template_for,
        titles_of,
        written,
    )

    kind = incident.kind if incident else "incident"
    chosen = template_for(template, kind)
    # Under their locks when the incident is locked and not closing (what the post itself
    # would take, in the same order), so the post reuses these rows instead of reading again.
    locking = incident is not None and db.is_locked(incident)
    step = status or (chosen.status if chosen else "") or (incident.status if incident else "")
    targets = resolve_components(components, lock=locking and not is_closed(step))
    now = clock.now()
    if incident is None:
        titles = titles_of(title, "an incident")
        incident = Incident(
            public_id=new_id(), kind="incident", title=default_text(titles), titles=titles,
            status="investigating", severity=severity, started_at=now, created_at=now,
            updated_at=now, impact=impact or impact_from_components(s for _, s in targets),
        )  # fmt: skip
        new = True
    else:
        new = False
    status = status or (chosen.status if chosen else "") or incident.status
    due = promised_next_update(
        status=status, severity=incident.severity, at=now, explicit=next_update_due_at,
        started_at=incident.started_at,
    )  # fmt: skip
    if chosen is not None and not written(body):
        ids = [c.public_id for c, _ in targets]
        if new:
            bodies = templates.compose(
                template=chosen, title=incident.titles, component_ids=ids, started_at=now,
                next_update_due_at=due, incident_id=incident.public_id, values=template_values,
            )  # fmt: skip
        else:
            bodies = templates.compose_for(
                template=chosen, incident=incident, status=status, next_update_due_at=due,
                values=template_values, component_ids=ids or None,
            )  # fmt: skip
    else:
        bodies = bodies_of(body, required=False)
    return Prepared(incident, status, bodies, due, targets, templates.missing(bodies))
