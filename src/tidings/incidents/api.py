"""Staff API for incidents, maintenances, their updates, FAQ and resources."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import BaseModel, Field

from tidings.core.auth import actor_of
from tidings.core.models import Event
from tidings.core.outs import copied, json_answer
from tidings.core.prepared import IdsRead
from tidings.core.writes import as_actor
from tidings.incidents import content, deletion, drafts, maintenances, publishing, services
from tidings.incidents.models import Incident, IncidentComponent, IncidentUpdate, UpdateDraft
from tidings.incidents.search import query as search_query

router = Router(tags=["incidents"])

Localized = dict[str, str] | str
#: A text per language, as stored and answered: {"en": "...", "he": "..."}.
Texts = dict[str, str]
Severity = Literal["SEV1", "SEV2", "SEV3", "SEV4"]
Impact = Literal["none", "minor", "major", "critical"]
Visibility = Literal["public", "internal"]
Confidence = Literal["low", "medium", "high"]
AudienceIn = Literal["affected", "all", "none"] | dict[str, Any]
AUDIENCE_DOC = (
    'Who is notified: "affected" (default), "all", "none", or a segment such as '
    '{"plans": ["enterprise"], "strategic": true, "customers": [ids], "channels": ["email"]}'
)


TITLE_DOC = 'Text, or per language: {"en": "...", "he": "..."}'
OVERRIDES_DOC = (
    "honesty warnings overridden: {code: reason}; a warning not overridden with a reason "
    "refuses the update (422 with the warnings)"
)
CONFIDENCE_DOC = "internal only, never published: confidence in any repair estimate given"


TEMPLATE_DOC = "a message template's key (GET /templates); it writes the body when none is given"
VALUES_DOC = (
    'words for the template\'s slots: {"cause": "..."} or {"cause": {"en": ..., "he": ...}}'
)


class IncidentIn(Schema):
    title: Localized = Field(description=TITLE_DOC)
    body: Localized | None = Field(
        default=None, description='Markdown, per language: {"en": "...", "he": "..."}'
    )
    template: str | None = Field(default=None, description=TEMPLATE_DOC)
    template_values: dict[str, Localized] = Field(default_factory=dict, description=VALUES_DOC)
    severity: Severity = "SEV3"
    impact: Impact | None = None
    status: Literal["investigating", "identified", "monitoring"] = "investigating"
    visibility: Visibility = "public"
    components: dict[str, str] = Field(default_factory=dict, description="component id -> status")
    started_at: datetime | None = None
    next_update_due_at: datetime | None = None
    eta_at: datetime | None = None
    eta_confidence: Confidence | None = None
    data_impact: bool = Field(default=False, description="the incident touched customer data")
    audience: AudienceIn = Field(default="affected", description=AUDIENCE_DOC)
    overrides: dict[str, str] = Field(default_factory=dict, description=OVERRIDES_DOC)
    confidence: Confidence | None = Field(default=None, description=CONFIDENCE_DOC)


class IncidentPatch(Schema):
    title: Localized | None = Field(default=None, description=TITLE_DOC)
    severity: Severity | None = None
    impact: Impact | None = None
    visibility: Visibility | None = None
    eta_at: datetime | None = None
    eta_confidence: Confidence | None = None
    data_impact: bool | None = None
    comms_owner: str | None = Field(
        default=None, max_length=150, description="username reminded before an update is due"
    )
    commander: str | None = Field(
        default=None, max_length=150, description="username told when an update is late"
    )


class UpdateIn(Schema):
    status: str | None = Field(
        default=None, description="default: the template's status, else the current one"
    )
    body: Localized | None = None
    template: str | None = Field(default=None, description=TEMPLATE_DOC)
    template_values: dict[str, Localized] = Field(default_factory=dict, description=VALUES_DOC)
    components: dict[str, str] = Field(default_factory=dict)
    impact: Impact | None = None
    next_update_due_at: datetime | None = None
    audience: AudienceIn = Field(default="affected", description=AUDIENCE_DOC)
    based_on: str | None = Field(
        default=None,
        description='the id of the newest update the author saw ("" for none): if a newer '
        "one was posted since, nothing is posted and the answer is 409 with the newer updates",
    )
    overrides: dict[str, str] = Field(default_factory=dict, description=OVERRIDES_DOC)
    confidence: Confidence | None = Field(default=None, description=CONFIDENCE_DOC)
    data_impact: bool = Field(
        default=False,
        description="true: this update finds customer data touched (flags the incident)",
    )


class MaintenanceIn(Schema):
    title: Localized = Field(description=TITLE_DOC)
    body: Localized | None = Field(default=None, description="default: the scheduled template")
    template: str | None = Field(default=None, description=TEMPLATE_DOC)
    template_values: dict[str, Localized] = Field(default_factory=dict, description=VALUES_DOC)
    scheduled_for: datetime
    scheduled_until: datetime
    components: list[str] = Field(default_factory=list)
    auto_transition: bool = True
    visibility: Visibility = "public"
    audience: AudienceIn = Field(default="all", description=AUDIENCE_DOC)


class FaqIn(Schema):
    question: Localized
    answer: Localized
    position: int = Field(default=0, ge=0, le=1_000_000)


class ResourceIn(Schema):
    kind: Literal["workaround", "link"] = "workaround"
    title: Localized
    body: Localized | None = None
    url: str = Field(default="", max_length=500)
    position: int = Field(default=0, ge=0, le=1_000_000)


class UpdateOut(BaseModel):
    id: str
    status: str
    body: Texts
    affected_components: list[dict[str, str]] | None
    created_at: datetime
    next_update_due_at: datetime | None
    author: str
    overrides: dict[str, str] = Field(default_factory=dict)
    confidence: str = ""


class IncidentOut(BaseModel):
    id: str
    kind: str
    title: str
    titles: Texts
    status: str
    impact: str
    severity: str
    visibility: str
    started_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    next_update_due_at: datetime | None
    scheduled_for: datetime | None
    scheduled_until: datetime | None
    eta_at: datetime | None
    eta_confidence: str
    data_impact: bool = False
    comms_owner: str
    commander: str
    components: dict[str, str]
    updates: list[UpdateOut]


class EventOut(BaseModel):
    at: datetime
    actor: str
    kind: str
    data: dict[str, Any]


def _update_out(u: IncidentUpdate) -> UpdateOut:
    return copied(UpdateOut, u, id=u.public_id, body=u.bodies, overrides=u.overrides or {})


#: UpdateOut's fields and the IncidentUpdate columns they are read from, in one order.
_UPDATE_FIELDS = ("id", "status", "body", "affected_components", "created_at",
                  "next_update_due_at", "author", "overrides", "confidence")  # fmt: skip
_UPDATE_COLUMNS = ("public_id", "status", "bodies", "affected_components", "created_at",
                   "next_update_due_at", "author", "overrides", "confidence")  # fmt: skip


#: The incidents' impacts and updates by incident ids, compiled once (core.prepared).
_IMPACTS = IdsRead(
    lambda ids: (
        IncidentComponent.objects.filter(incident_id__any=ids)
        .order_by("id")
        .values_list("incident_id", "component__public_id", "status")
    )
)
_UPDATES = IdsRead(
    lambda ids: IncidentUpdate.objects.filter(incident_id__any=ids).values_list(
        "incident_id", *_UPDATE_COLUMNS
    )
)


def _related(
    incidents: list[Incident],
) -> tuple[dict[int, dict[str, str]], dict[int, list[dict[str, Any]]]]:
    """The incidents' impacts and updates (each update as UpdateOut's fields) in two queries,
    whatever their number (no prefetch_related: its bookkeeping cost more than the queries it
    saves)."""
    ids = [i.pk for i in incidents]
    impacts: dict[int, dict[str, str]] = defaultdict(dict)
    for incident_id, component_id, status in _IMPACTS(ids):
        impacts[incident_id][component_id] = status
    updates: dict[int, list[dict[str, Any]]] = defaultdict(list)
    # Columns, not model instances: building a model per update cost more than the query.
    for incident_id, *cols in _UPDATES(ids):
        updates[incident_id].append(dict(zip(_UPDATE_FIELDS, cols, strict=True)))
    return impacts, updates


def _outs(incidents: list[Incident]) -> list[IncidentOut]:
    impacts, updates = _related(incidents)
    return [_out(i, impacts[i.pk], [UpdateOut(**u) for u in updates[i.pk]]) for i in incidents]


def _listed(incidents: list[Incident]) -> HttpResponse:
    """The list as JSON, as ninja would render ``list[IncidentOut]`` (its encoder, the
    fields in order), without building and validating a model per incident and update first:
    the columns already have the schema's types. bench/api.py's idle read of this list."""
    impacts, updates = _related(incidents)
    data = []
    for i in incidents:
        # IncidentOut's fields, in its order (the tests compare this with the model's dump).
        out = {
            "id": i.public_id, "kind": i.kind, "title": i.title,
            "titles": i.titles or {"en": i.title}, "status": i.status, "impact": i.impact,
            "severity": i.severity, "visibility": i.visibility, "started_at": i.started_at,
            "acknowledged_at": i.acknowledged_at, "resolved_at": i.resolved_at,
            "next_update_due_at": i.next_update_due_at, "scheduled_for": i.scheduled_for,
            "scheduled_until": i.scheduled_until, "eta_at": i.eta_at,
            "eta_confidence": i.eta_confidence, "data_impact": i.data_impact,
            "comms_owner": i.comms_owner, "commander": i.commander,
            "components": impacts[i.pk],
            "updates": [{**u, "overrides": u["overrides"] or {}} for u in updates[i.pk]],
        }  # fmt: skip
        data.append(out)
    return json_answer(data)


def _one(i: Incident) -> IncidentOut:
    return _outs([i])[0]


def _out(i: Incident, components: dict[str, str], updates: list[UpdateOut]) -> IncidentOut:
    return copied(
        IncidentOut, i, id=i.public_id, titles=i.titles or {"en": i.title},
        components=components, updates=updates,
    )  # fmt: skip


class IncidentFilters(Schema):
    kind: Literal["incident", "maintenance"] | None = None
    active: bool = Field(default=False, description="open ones only (same as status=open)")
    limit: int = 50
    offset: int = Field(default=0, ge=0, le=1_000_000)
    q: str = Field(default="", max_length=200, description="words of the title, any language")
    status: str = Field(default="", description="a status, or open / closed")
    severity: Severity | None = None
    component: str = Field(default="", description="a component id or slug")
    since: date | None = None
    until: date | None = None


@router.get("/incidents", response=list[IncidentOut])
def list_incidents(request: HttpRequest, filters: Query[IncidentFilters]) -> list[IncidentOut]:
    """Newest first. Resolved incidents stay findable: search the title, filter by kind,
    status, severity, component and start date."""
    f = filters
    qs = search_query(
        q=f.q, kind=f.kind or "", status="open" if f.active else f.status,
        severity=f.severity or "", component=f.component, since=f.since, until=f.until,
    )  # fmt: skip
    return _listed(list(qs[f.offset : f.offset + max(1, min(f.limit, 500))]))  # type: ignore[return-value]


@router.post("/incidents", response={201: IncidentOut})
def create_incident(request: HttpRequest, payload: IncidentIn) -> tuple[int, IncidentOut]:
    data = payload.dict()
    data["eta_confidence"] = data["eta_confidence"] or ""
    return 201, _one(as_actor(request, publishing.declare, **data))


@router.get("/incidents/{incident_id}", response=IncidentOut)
def get_incident(request: HttpRequest, incident_id: str) -> IncidentOut:
    return _one(services.get_incident(incident_id))


@router.patch("/incidents/{incident_id}", response=IncidentOut)
def patch_incident(request: HttpRequest, incident_id: str, payload: IncidentPatch) -> IncidentOut:
    i = services.get_incident(incident_id)
    as_actor(request, services.change_incident, incident=i, **payload.dict(exclude_unset=True))
    return _one(i)


@router.delete("/incidents/{incident_id}", response={204: None})
def delete_incident(request: HttpRequest, incident_id: str) -> tuple[int, None]:
    """Delete an incident or a maintenance: it leaves the status page at once, the components
    it holds return to their earlier status, and the event log keeps the deletion."""
    as_actor(request, deletion.delete_incident, incident=services.get_incident(incident_id))
    return 204, None


class NewerOut(BaseModel):
    detail: str
    newer: list[UpdateOut]


class DraftOut(BaseModel):
    id: str
    incident_id: str
    author: str
    state: str
    status: str
    body: Texts
    overrides: dict[str, str]
    note: str
    created_at: datetime
    decided_by: str
    update_id: str | None


def draft_out(d: UpdateDraft) -> DraftOut:
    return DraftOut(
        id=d.public_id, incident_id=d.incident.public_id, author=d.author, state=d.state,
        status=d.status, body=d.bodies, overrides=d.fields.get("overrides") or {}, note=d.note,
        created_at=d.created_at, decided_by=d.decided_by,
        update_id=d.update.public_id if d.update else None,
    )  # fmt: skip


@router.post(
    "/incidents/{incident_id}/updates",
    response={201: UpdateOut, 202: DraftOut, 409: NewerOut},
    description="201: published. 202: kept as a draft for the commander's approval (the "
    "severity needs it). 409: a newer update arrived. 422: honesty warnings not overridden "
    "(`warnings`: code, message, field).",
)
def post_update(
    request: HttpRequest, incident_id: str, payload: UpdateIn
) -> tuple[int, UpdateOut | DraftOut | NewerOut]:
    try:
        # No savepoint inside the write's own transaction (one_transaction): two round trips.
        with transaction.atomic(savepoint=False):
            i = services.get_incident(incident_id, lock=True)
            u = drafts.submit_update(
                actor=actor_of(request), author=request.user, incident=i, **payload.dict()
            )
    except publishing.NewerUpdate as exc:
        return 409, NewerOut(detail=exc.message, newer=[_update_out(n) for n in exc.newer])
    if isinstance(u, UpdateDraft):
        return 202, draft_out(u)
    return 201, _update_out(u)


@router.post("/incidents/{incident_id}/faq", response={201: dict[str, int]})
def add_faq(request: HttpRequest, incident_id: str, payload: FaqIn) -> tuple[int, dict[str, int]]:
    with transaction.atomic(savepoint=False):
        entry = content.add_faq(
            actor=actor_of(request), incident=services.get_incident(incident_id), **payload.dict()
        )
    return 201, {"id": entry.pk}


@router.get("/incidents/{incident_id}/faq", response=list[dict[str, Any]])
def list_faq(request: HttpRequest, incident_id: str) -> list[dict[str, Any]]:
    return [
        {"id": e.pk, "question": e.question, "answer": e.answer, "position": e.position}
        for e in services.get_incident(incident_id).faq.all()
    ]


@router.post("/incidents/{incident_id}/resources", response={201: dict[str, int]})
def add_resource(
    request: HttpRequest, incident_id: str, payload: ResourceIn
) -> tuple[int, dict[str, int]]:
    i = services.get_incident(incident_id)
    return 201, {"id": as_actor(request, content.add_resource, incident=i, **payload.dict()).pk}


@router.get("/incidents/{incident_id}/resources", response=list[dict[str, Any]])
def list_resources(request: HttpRequest, incident_id: str) -> list[dict[str, Any]]:
    return [
        {
            "id": r.pk,
            "kind": r.kind,
            "title": r.title,
            "body": r.body or {},
            "url": r.url,
            "position": r.position,
        }
        for r in services.get_incident(incident_id).resources.all()
    ]


@router.get("/incidents/{incident_id}/events", response=list[EventOut])
def incident_events(request: HttpRequest, incident_id: str) -> list[EventOut]:
    i = services.get_incident(incident_id)
    return [
        EventOut(at=e.at, actor=e.actor, kind=e.kind, data=e.data)
        for e in Event.objects.filter(subject_type="incident", subject_id=i.public_id)
    ]


@router.post("/maintenances", response={201: IncidentOut})
def create_maintenance(request: HttpRequest, payload: MaintenanceIn) -> tuple[int, IncidentOut]:
    data = payload.dict()
    data["components"] = {cid: "under_maintenance" for cid in data["components"]}
    return 201, _one(as_actor(request, maintenances.create_maintenance, **data))
