"""Staff API for the preview before publishing: what each channel and language would receive
(rendered by the channels themselves), the public page's snippet, and who would be told and
who not, with why. Nothing is written or sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from tidings.incidents import rules, services
from tidings.incidents.models import Incident
from tidings.incidents.publishing import Prepared, prepare
from tidings.notify import audience as audiences
from tidings.notify import roster
from tidings.notify.preview import Rendering, render_draft

router = Router(tags=["notifications"])
Localized = dict[str, str] | str


class DraftIn(Schema):
    title: Localized | None = Field(default=None, description="declaring: the new incident's title")
    body: Localized | None = None
    template: str | None = None
    template_values: dict[str, Localized] = Field(default_factory=dict)
    status: str | None = None
    severity: str = "SEV3"
    impact: str | None = None
    components: dict[str, str] = Field(default_factory=dict)
    next_update_due_at: datetime | None = None
    audience: str | dict[str, Any] = "affected"


# The fields are preview.Rendering's; no docstring: see notify/records.py.
class RenderingOut(Rendering, Schema):
    pass


class AudienceOut(Schema):
    total: int
    by_channel: dict[str, int]
    by_language: dict[str, int]
    customers: int
    left_out: dict[str, int] = Field(
        description="how many are not told, by reason: unconfirmed, disabled, unsubscribed, "
        "no_channel, not_affected"
    )


class PreviewOut(Schema):
    status: str
    body: dict[str, str]
    missing: dict[str, list[str]] = Field(description="slots still to fill, per language")
    renderings: list[RenderingOut]
    page: dict[str, str] = Field(description="the public page's snippet (HTML) per language")
    audience: AudienceOut


class RosterIn(Schema):
    audience: str | dict[str, Any] = "affected"
    components: dict[str, str] = Field(default_factory=dict)
    q: str = Field(default="", max_length=200)
    page: int = Field(default=1, ge=1, le=100_000)
    left_out: str | None = Field(
        default=None, description='list those left out instead: a reason, or "all"'
    )


class RowOut(Schema):
    channel: str
    target: str = Field(description="masked")
    language: str
    who: str
    reason: str
    detail: str


class RosterOut(Schema):
    rows: list[RowOut]
    total: int
    page: int
    pages: int


def component_pks(p: Prepared) -> list[int] | None:
    """The components an audience is drawn for: the incident's and those the draft names."""
    named = [c.pk for c, _ in p.targets]
    if p.incident.pk is None:
        return named
    held = list(p.incident.impacts.values_list("component_id", flat=True))
    return sorted(set(held) | set(named))


def audience_of(p: Prepared, audience: rules.Audience) -> AudienceOut:
    if not p.incident.is_public:
        audience = "none"
    pks = component_pks(p)
    found = audiences.preview(p.incident, audience, pks)
    return AudienceOut(
        total=found.total, by_channel=dict(sorted(found.by_channel.items())),
        by_language=dict(sorted(found.by_language.items())), customers=found.customers,
        left_out=roster.left_out_counts(p.incident, audience, pks),
    )  # fmt: skip


def _preview(incident: Incident | None, payload: DraftIn) -> PreviewOut:
    audience = rules.check_audience(payload.audience)
    data = payload.dict(exclude={"audience"})
    p = prepare(incident=incident, **data)
    shown = render_draft(
        p.incident, status=p.status, bodies=p.bodies, next_update_due_at=p.next_update_due_at,
        components=p.targets,
    )  # fmt: skip
    return PreviewOut(
        status=p.status, body=p.bodies, missing=p.missing,
        renderings=[RenderingOut(**r.model_dump()) for r in shown.renderings], page=shown.page,
        audience=audience_of(p, audience),
    )  # fmt: skip


@router.post("/incidents/preview", response=PreviewOut)
def preview_declaration(request: HttpRequest, payload: DraftIn) -> PreviewOut:
    """What declaring this incident would send, per channel and language, and to whom."""
    return _preview(None, payload)


@router.post("/incidents/{incident_id}/preview", response=PreviewOut)
def preview_update(request: HttpRequest, incident_id: str, payload: DraftIn) -> PreviewOut:
    """What posting this update would send, per channel and language, and to whom."""
    return _preview(services.get_incident(incident_id), payload)


@router.post("/incidents/{incident_id}/recipients", response=RosterOut)
def recipients(request: HttpRequest, incident_id: str, payload: RosterIn) -> RosterOut:
    """The recipients of an update with this audience (searchable, 50 a page), or, with
    ``left_out``, those it would not reach and why. Targets are masked."""
    incident = services.get_incident(incident_id)
    audience = rules.check_audience(payload.audience)
    p = prepare(incident=incident, components=payload.components, body="")
    if not incident.is_public:
        audience = "none"
    pks = component_pks(p)
    page = roster.listed(
        incident, audience, pks, reason=payload.left_out or "", q=payload.q, page=payload.page
    )
    return RosterOut(
        rows=[RowOut(**r.__dict__) for r in page.rows], total=page.total, page=page.page,
        pages=page.pages,
    )  # fmt: skip
