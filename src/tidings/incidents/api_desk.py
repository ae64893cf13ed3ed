"""Staff API for what the console's crisis desk does beyond declaring and posting: FAQ and
resource entries changed or removed, and a maintenance rescheduled, started early, extended,
completed or cancelled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import BaseModel, Field

from tidings.core.writes import as_actor
from tidings.incidents import content, maintenances, services
from tidings.incidents.api import AUDIENCE_DOC, AudienceIn, Localized, Texts, UpdateOut, _update_out
from tidings.incidents.models import FaqEntry, IncidentUpdate, Resource

router = Router(tags=["incidents"])
# GET /incidents/{id}/faq and /resources are in incidents.api, beside the POSTs of the same
# paths (a path belongs to one router).


class FaqOut(BaseModel):
    id: int
    question: Texts
    answer: Texts
    position: int


class FaqPatch(Schema):
    question: Localized | None = None
    answer: Localized | None = None
    position: int | None = Field(default=None, ge=0, le=1_000_000)


class ResourceOut(BaseModel):
    id: int
    kind: str
    title: Texts
    body: Texts
    url: str
    position: int


class ResourcePatch(Schema):
    kind: str | None = None
    title: Localized | None = None
    body: Localized | None = None
    url: str | None = Field(default=None, max_length=500)
    position: int | None = Field(default=None, ge=0, le=1_000_000)


def _faq(e: FaqEntry) -> FaqOut:
    return FaqOut(id=e.pk, question=e.question, answer=e.answer, position=e.position)


def _resource(r: Resource) -> ResourceOut:
    return ResourceOut(
        id=r.pk, kind=r.kind, title=r.title, body=r.body or {}, url=r.url, position=r.position
    )


@router.patch("/incidents/{incident_id}/faq/{faq_id}", response=FaqOut)
def change_faq(request: HttpRequest, incident_id: str, faq_id: int, payload: FaqPatch) -> FaqOut:
    entry = content.get_faq(services.get_incident(incident_id), faq_id)
    return _faq(
        as_actor(request, content.change_faq, entry=entry, **payload.dict(exclude_unset=True))
    )


@router.delete("/incidents/{incident_id}/faq/{faq_id}", response={204: None})
def delete_faq(request: HttpRequest, incident_id: str, faq_id: int) -> tuple[int, None]:
    entry = content.get_faq(services.get_incident(incident_id), faq_id)
    as_actor(request, content.delete_faq, entry=entry)
    return 204, None


@router.patch("/incidents/{incident_id}/resources/{resource_id}", response=ResourceOut)
def change_resource(
    request: HttpRequest, incident_id: str, resource_id: int, payload: ResourcePatch
) -> ResourceOut:
    r = content.get_resource(services.get_incident(incident_id), resource_id)
    return _resource(
        as_actor(request, content.change_resource, resource=r, **payload.dict(exclude_unset=True))
    )


@router.delete("/incidents/{incident_id}/resources/{resource_id}", response={204: None})
def delete_resource(request: HttpRequest, incident_id: str, resource_id: int) -> tuple[int, None]:
    r = content.get_resource(services.get_incident(incident_id), resource_id)
    as_actor(request, content.delete_resource, resource=r)
    return 204, None


class Announce(Schema):
    body: Localized | None = Field(default=None, description="default: the phase's template")
    audience: AudienceIn | None = Field(default=None, description=AUDIENCE_DOC)


class RescheduleIn(Announce):
    scheduled_for: datetime
    scheduled_until: datetime


class ExtendIn(Announce):
    scheduled_until: datetime


def _announced(
    request: HttpRequest,
    incident_id: str,
    phase: Callable[..., IncidentUpdate],
    payload: Announce,
    **when: datetime,
) -> tuple[int, UpdateOut]:
    """A maintenance moved to its next phase in one transaction, and the update that says so
    (the payload's body, else the phase's template)."""
    notice = maintenances.Notice(body=payload.body, audience=payload.audience)
    maintenance = services.get_incident(incident_id, "maintenance")
    return 201, _update_out(as_actor(request, phase, incident=maintenance, notice=notice, **when))


@router.post("/maintenances/{incident_id}/reschedule", response={201: UpdateOut})
def reschedule(
    request: HttpRequest, incident_id: str, payload: RescheduleIn
) -> tuple[int, UpdateOut]:
    """Move a planned maintenance to a new window; subscribers get the scheduled template."""
    return _announced(request, incident_id, maintenances.reschedule, payload,
                      scheduled_for=payload.scheduled_for, scheduled_until=payload.scheduled_until)  # fmt: skip


@router.post("/maintenances/{incident_id}/start", response={201: UpdateOut})
def start(request: HttpRequest, incident_id: str, payload: Announce) -> tuple[int, UpdateOut]:
    """Start a planned maintenance now (early)."""
    return _announced(request, incident_id, maintenances.start_early, payload)


@router.post("/maintenances/{incident_id}/extend", response={201: UpdateOut})
def extend(request: HttpRequest, incident_id: str, payload: ExtendIn) -> tuple[int, UpdateOut]:
    """A running maintenance takes longer: its new end, and subscribers told."""
    return _announced(request, incident_id, maintenances.extend, payload,
                      scheduled_until=payload.scheduled_until)  # fmt: skip


@router.post("/maintenances/{incident_id}/complete", response={201: UpdateOut})
def complete(request: HttpRequest, incident_id: str, payload: Announce) -> tuple[int, UpdateOut]:
    return _announced(request, incident_id, maintenances.finish, payload)


@router.post("/maintenances/{incident_id}/cancel", response={201: UpdateOut})
def cancel(request: HttpRequest, incident_id: str, payload: Announce) -> tuple[int, UpdateOut]:
    """Call off a planned or running maintenance; subscribers get the cancelled template."""
    return _announced(request, incident_id, maintenances.cancel, payload)
