"""Staff API for message templates: list, edit, reset, and compose a message from one."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from tidings.comms import services
from tidings.comms.rules import KNOWN, Template, placeholders
from tidings.core import clock
from tidings.core.text import check_localized_line
from tidings.core.writes import as_actor
from tidings.incidents.models import Incident
from tidings.incidents.posting import promised_next_update
from tidings.incidents.services import get_incident

router = Router(tags=["templates"])

Localized = dict[str, str] | str


class TemplateOut(Schema):
    key: str
    kind: str
    status: str = Field(description="the status an update from it sets; empty keeps the current")
    names: dict[str, str]
    bodies: dict[str, str]
    builtin: bool
    edited: bool
    slots: list[str] = Field(description="placeholders the author fills (not filled by Tidings)")


class TemplateIn(Schema):
    names: Localized
    bodies: Localized
    kind: str | None = Field(default=None, description="incident or maintenance (new templates)")
    status: str | None = None


class ComposeIn(Schema):
    incident_id: str | None = Field(default=None, description="an existing incident, or:")
    title: Localized | None = Field(default=None, description="a title, for a new incident")
    components: list[str] = Field(default_factory=list, description="component ids")
    severity: str = "SEV3"
    status: str | None = None
    next_update_due_at: datetime | None = None
    values: dict[str, Localized] = Field(default_factory=dict, description="the slots' words")


class ComposeOut(Schema):
    status: str
    body: dict[str, str]
    missing: dict[str, list[str]] = Field(description="slots still to fill, per language")


def _out(t: Template) -> TemplateOut:
    slots = sorted({p for text in t.bodies.values() for p in placeholders(text)} - set(KNOWN))
    return TemplateOut(
        key=t.key, kind=t.kind, status=t.status, names=t.names, bodies=t.bodies,
        builtin=t.builtin, edited=t.edited, slots=slots,
    )  # fmt: skip


@router.get("/templates", response=list[TemplateOut])
def list_templates(request: HttpRequest) -> list[TemplateOut]:
    return [_out(t) for t in services.all_templates()]


@router.get("/templates/{key}", response=TemplateOut)
def get_template(request: HttpRequest, key: str) -> TemplateOut:
    return _out(services.get_template(key))


@router.put("/templates/{key}", response=TemplateOut)
def save_template(request: HttpRequest, key: str, payload: TemplateIn) -> TemplateOut:
    return _out(as_actor(request, services.save_template, key=key, **payload.dict()))


@router.delete("/templates/{key}", response={200: TemplateOut, 204: None})
def reset_template(request: HttpRequest, key: str) -> tuple[int, TemplateOut | None]:
    """A shipped template returns to its shipped text (200); one of staff's own is deleted."""
    t = as_actor(request, services.reset_template, key=key)
    return (200, _out(t)) if t else (204, None)


@router.post("/templates/{key}/compose", response=ComposeOut)
def compose(request: HttpRequest, key: str, payload: ComposeIn) -> ComposeOut:
    """What an update from this template would say, filled from the incident (or from the title
    and components of one being declared) and the author's values; nothing is written."""
    template = services.get_template(key)
    now = clock.now()
    if payload.incident_id:
        incident: Incident = get_incident(payload.incident_id)
        status = payload.status or template.status or incident.status
        due = promised_next_update(
            status=status, severity=incident.severity, at=now, explicit=payload.next_update_due_at
        )
        body = services.compose_for(
            template=template, incident=incident, status=status, next_update_due_at=due,
            values=dict(payload.values), component_ids=payload.components or None,
        )  # fmt: skip
    else:
        title = check_localized_line(payload.title or "", field="title", max_chars=200)
        status = payload.status or template.status or "investigating"
        due = promised_next_update(
            status=status, severity=payload.severity, at=now, explicit=payload.next_update_due_at
        )
        body = services.compose(
            template=template, title=title, component_ids=payload.components, started_at=now,
            next_update_due_at=due, values=dict(payload.values),
        )  # fmt: skip
    return ComposeOut(status=status, body=body, missing=services.missing(body))
