"""Staff API for honesty and approval: the minimising word lists, which severities need the
commander's approval, and the drafts waiting for it (list, approve, send back)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import BaseModel, Field

from tidings.core.auth import actor_of
from tidings.incidents import checking, drafts, services
from tidings.incidents.api import DraftOut, UpdateOut, _update_out, draft_out

router = Router(tags=["honesty"])


def _may_approve(request: HttpRequest) -> None:
    """Deciding what waits for approval, and approving, is the commander's (or an admin's)
    even before every path is checked against the role table."""
    from tidings.core.errors import Forbidden
    from tidings.staff.rules import can
    from tidings.staff.services import role_of

    role = role_of(getattr(request, "user", None)) or "viewer"
    if not can(role, "incidents.approve"):
        raise Forbidden(f"only admin or commander may do this; your role is {role}")


class WordsIn(Schema):
    words: list[str] = Field(max_length=500)


class WordsOut(BaseModel):
    language: str
    words: list[str]


class ApprovalIn(Schema):
    severities: list[str] = Field(description="the severities whose updates need approval")


class ApprovalOut(BaseModel):
    severities: list[str]


class NoteIn(Schema):
    note: str = Field(max_length=2000)


@router.get("/honesty-words", response=list[WordsOut])
def list_words(request: HttpRequest) -> list[WordsOut]:
    """Minimising or blaming phrases per language; the shipped list until staff edit it."""
    return [WordsOut(language=k, words=v) for k, v in checking.word_lists().items()]


@router.put("/honesty-words/{language}", response=WordsOut)
def put_words(request: HttpRequest, language: str, payload: WordsIn) -> WordsOut:
    with transaction.atomic():
        words = checking.set_words(actor=actor_of(request), language=language, words=payload.words)
    return WordsOut(language=language, words=words)


@router.get("/approval", response=ApprovalOut)
def get_approval(request: HttpRequest) -> ApprovalOut:
    return ApprovalOut(severities=sorted(drafts.required_severities()))


@router.put("/approval", response=ApprovalOut)
def put_approval(request: HttpRequest, payload: ApprovalIn) -> ApprovalOut:
    _may_approve(request)
    with transaction.atomic():
        chosen = drafts.set_required(actor=actor_of(request), severities=payload.severities)
    return ApprovalOut(severities=chosen)


@router.get("/incidents/{incident_id}/drafts", response=list[DraftOut])
def list_drafts(request: HttpRequest, incident_id: str, all: bool = False) -> list[DraftOut]:
    """Drafts waiting for approval (``all=true``: approved and sent back ones too)."""
    incident = services.get_incident(incident_id)
    rows = incident.drafts.select_related("incident", "update")
    return [draft_out(d) for d in (rows if all else rows.filter(state="pending"))]


@router.post("/drafts/{draft_id}/approve", response={201: UpdateOut})
def approve_draft(request: HttpRequest, draft_id: str) -> tuple[int, UpdateOut]:
    _may_approve(request)
    with transaction.atomic():
        update = drafts.approve(actor=actor_of(request), draft=drafts.get_draft(draft_id))
    return 201, _update_out(update)


@router.post("/drafts/{draft_id}/return", response=DraftOut)
def return_draft(request: HttpRequest, draft_id: str, payload: NoteIn) -> DraftOut:
    _may_approve(request)
    with transaction.atomic():
        d = drafts.send_back(
            actor=actor_of(request), draft=drafts.get_draft(draft_id), note=payload.note
        )
    return draft_out(d)
