"""Staff API for who is told and how the telling went: the audience preview of an incident
(sends nothing), the delivery figures of each of its updates with their reasons
(:mod:`tidings.notify.report`, shared with the console), one target's delivery history,
disabling a target with a reason and re-enabling it, and every disabled target. Targets never
leave here in full: :func:`mask_target`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.params.functions import Path, Query
from pydantic import Field

from tidings.core.auth import actor_of
from tidings.core.errors import NotFound
from tidings.customers.models import Contact
from tidings.incidents import rules, services
from tidings.notify import audience as audiences
from tidings.notify import history, roster
from tidings.notify import report as reports
from tidings.notify import services as notify_services
from tidings.notify.disabled import DisabledTarget, disabled_targets
from tidings.notify.report import delivery_report
from tidings.notify.rules import mask_target
from tidings.statuspage.words import status_labels
from tidings.subscribers import directory

router = Router(tags=["notifications"])

__all__ = ["delivery_report", "mask_target", "router"]


# --- the API ------------------------------------------------------------------------------


class AudienceIn(Schema):
    audience: str | dict[str, Any] = Field(
        default="affected",
        description='"affected", "all", "none" or a segment such as '
        '{"plans": ["enterprise"], "strategic": true, "channels": ["email"]}',
    )


class PreviewOut(Schema):
    audience: str | dict[str, Any]
    total: int
    by_channel: dict[str, int]
    by_language: dict[str, int]
    customers: int
    strategic_customers: list[dict[str, str]]
    left_out: dict[str, int] = Field(
        default_factory=dict,
        description="how many are not told, by reason: unconfirmed, disabled, unsubscribed, "
        "no_channel, not_affected (POST /incidents/{id}/recipients lists them)",
    )
    note: str = ""


# A schema for a read model subclasses it, without a docstring: see notify/records.py.
class StateReasonOut(reports.StateReason, Schema):
    pass


class UpdateDeliveriesOut(Schema):
    update_id: str
    status: str
    posted_at: datetime
    notified: bool
    by_channel: dict[str, dict[str, int]]
    totals: dict[str, int]
    total: int
    pending: int
    complete: bool
    first_created_at: datetime | None
    last_sent_at: datetime | None
    seconds_to_last_delivery: float | None
    reasons: list[StateReasonOut] = Field(
        description="why the deliveries are where they are, per state, most frequent first"
    )


class DisabledOut(reports.DisabledTarget, Schema):
    pass


class ProblemOut(reports.Problem, Schema):
    pass


class DeliveriesOut(Schema):
    incident_id: str
    title: str
    updates: list[UpdateDeliveriesOut]
    disabled: list[DisabledOut]
    problems: list[ProblemOut] = Field(
        description="failed, refused, cancelled and retrying deliveries, newest first"
    )
    problems_total: int


class EnableContactIn(Schema):
    channel: str = Field(description="the channel to tell the contact on again")


class EnabledOut(Schema):
    kind: str
    target_id: str
    channel: str
    target: str = Field(description="masked")


@router.post("/incidents/{incident_id}/audience", response=PreviewOut)
def preview_audience(request: HttpRequest, incident_id: str, payload: AudienceIn) -> PreviewOut:
    """Who an update with this audience would reach, counted; nothing is sent or written."""
    incident = services.get_incident(incident_id)
    audience = rules.check_audience(payload.audience)
    note = ""
    if not incident.is_public and audience != "none":
        note = "this incident is internal: its updates reach no customer whatever the audience"
        audience_used: rules.Audience = "none"
    else:
        audience_used = audience
    p = audiences.preview(incident, audience_used)
    return PreviewOut(
        audience=audience,
        total=p.total,
        by_channel=dict(sorted(p.by_channel.items())),
        by_language=dict(sorted(p.by_language.items())),
        customers=p.customers,
        strategic_customers=sorted(p.strategic_customers, key=lambda c: c["name"]),
        left_out=roster.left_out_counts(incident, audience_used),
        note=note,
    )


@router.get("/incidents/{incident_id}/deliveries", response=DeliveriesOut)
def incident_deliveries(request: HttpRequest, incident_id: str) -> DeliveriesOut:
    """Per update: deliveries by channel and status, why each state (waiting, retrying and
    when, refused and the server's reply, superseded and by which update), and the time from
    publication to the last delivery; the failed deliveries one by one; and the targets
    disabled on the way (all masked)."""
    report = delivery_report(services.get_incident(incident_id), status_labels())
    return DeliveriesOut(
        incident_id=report.incident_id,
        title=report.title,
        updates=[UpdateDeliveriesOut(**u.as_dict()) for u in report.updates],
        disabled=[DisabledOut(**d.model_dump()) for d in report.disabled],
        problems=[ProblemOut(**p.model_dump()) for p in report.problems],
        problems_total=report.problems_total,
    )


@router.post("/subscribers/{subscriber_id}/enable", response=EnabledOut)
def enable_subscriber(request: HttpRequest, subscriber_id: str) -> EnabledOut:
    """Send to a subscriber that deliveries disabled again (after its address or endpoint was
    fixed). Messages cancelled meanwhile stay cancelled."""
    with transaction.atomic():
        sub = notify_services.enable_subscriber(
            actor=actor_of(request), subscriber_id=subscriber_id
        )
    return EnabledOut(kind="subscriber", target_id=sub.public_id, channel=sub.channel,
                      target=mask_target(sub.channel, sub.target))  # fmt: skip


@router.post("/contacts/{contact_id}/enable", response=EnabledOut)
def enable_contact(request: HttpRequest, contact_id: int, payload: EnableContactIn) -> EnabledOut:
    """Tell a customer contact on a channel that deliveries disabled again."""
    with transaction.atomic():
        contact = notify_services.enable_contact_channel(
            actor=actor_of(request), contact_id=contact_id, channel=payload.channel
        )
    target = contact.email if payload.channel == "email" else contact.phone
    return EnabledOut(kind="contact", target_id=str(contact.pk), channel=payload.channel,
                      target=mask_target(payload.channel, target))  # fmt: skip


# --- one target: disable, history; every disabled target --------------------------------


class DisableIn(Schema):
    reason: str = Field(
        min_length=1, max_length=notify_services.REASON_CHARS,
        description="why: shown wherever the target is listed",
    )  # fmt: skip


class DisableContactIn(DisableIn):
    channel: str = Field(description="email, sms or whatsapp")


class ToldOut(history.Told, Schema):
    pass


class HistoryOut(Schema):
    total: int
    items: list[ToldOut]


class DisabledTargetOut(DisabledTarget, Schema):
    pass


class DisabledPage(Schema):
    total: int
    items: list[DisabledTargetOut]


def _history_out(h: history.History) -> HistoryOut:
    return HistoryOut(total=h.total, items=[ToldOut(**t.model_dump()) for t in h.items])


def _contact(contact_id: int) -> Contact:
    contact = Contact.objects.select_related("customer").filter(pk=contact_id).first()
    if contact is None:
        raise NotFound(_("no contact %(id)s") % {"id": contact_id})
    return contact


LIMIT = Query(50, ge=1, le=history.PAGE_LIMIT)
OFFSET = Query(0, ge=0, le=10_000_000)
CONTACT_ID = Path(..., ge=1, le=2**53)


@router.post("/subscribers/{subscriber_id}/disable", response=EnabledOut)
def disable_subscriber(request: HttpRequest, subscriber_id: str, payload: DisableIn) -> EnabledOut:
    """Stop telling a subscriber, saying why; its queued messages are cancelled."""
    with transaction.atomic():
        sub = notify_services.disable_subscriber(
            actor=actor_of(request), subscriber_id=subscriber_id, reason=payload.reason
        )
    return EnabledOut(kind="subscriber", target_id=sub.public_id, channel=sub.channel,
                      target=mask_target(sub.channel, sub.target))  # fmt: skip


@router.get("/subscribers/{subscriber_id}/deliveries", response=HistoryOut)
def subscriber_deliveries(
    request: HttpRequest, subscriber_id: str, limit: int = LIMIT, offset: int = OFFSET
) -> HistoryOut:
    """What this subscriber was sent and when, newest first, each with its state and why."""
    sub = directory.get(subscriber_id)
    return _history_out(
        history.for_subscriber(sub, limit=limit, offset=offset, labels=status_labels())
    )


@router.post("/contacts/{contact_id}/disable", response=EnabledOut)
def disable_contact(
    request: HttpRequest, payload: DisableContactIn, contact_id: int = CONTACT_ID
) -> EnabledOut:
    """Stop telling a customer contact on one channel, saying why."""
    with transaction.atomic():
        contact = notify_services.disable_contact_channel(
            actor=actor_of(request), contact_id=contact_id, channel=payload.channel,
            reason=payload.reason,
        )  # fmt: skip
    target = contact.email if payload.channel == "email" else contact.phone
    return EnabledOut(kind="contact", target_id=str(contact.pk), channel=payload.channel,
                      target=mask_target(payload.channel, target))  # fmt: skip


@router.get("/contacts/{contact_id}/deliveries", response=HistoryOut)
def contact_deliveries(
    request: HttpRequest,
    channel: str = "",
    limit: int = LIMIT,
    offset: int = OFFSET,
    contact_id: int = CONTACT_ID,
) -> HistoryOut:
    """What this contact was sent (on ``channel``, or all) and when, newest first."""
    return _history_out(
        history.for_contact(
            _contact(contact_id),
            channel=channel,
            limit=limit,
            offset=offset,
            labels=status_labels(),
        )
    )


@router.get("/disabled", response=DisabledPage, summary="Every disabled target")
def list_disabled(
    request: HttpRequest,
    q: str = Query("", max_length=200, description="any part of the target or a name"),
    channel: str = "",
    limit: int = LIMIT,
    offset: int = OFFSET,
) -> DisabledPage:
    """Disabled subscribers and customer contacts' disabled channels, newest first, with
    their customer, the reason, when and by whom (targets masked)."""
    page = disabled_targets(q=q, channel=channel, limit=limit, offset=offset)
    return DisabledPage(
        total=page.total, items=[DisabledTargetOut(**d.model_dump()) for d in page.items]
    )
