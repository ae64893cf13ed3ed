"""Staff API for who is told and how the telling went: the audience preview of an incident
(sends nothing), the delivery figures of each of its updates with their reasons
(:mod:`tidings.notify.report`, shared with the console), and re-enabling a target that
deliveries disabled. Targets never leave here in full: :func:`mask_target`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from tidings.core.auth import actor_of
from tidings.incidents import rules, services
from tidings.notify import audience as audiences
from tidings.notify import roster
from tidings.notify import services as notify_services
from tidings.notify.report import delivery_report
from tidings.notify.rules import mask_target
from tidings.statuspage.html import _status_labels as status_labels

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


class StateReasonOut(Schema):
    status: str
    reason: str
    count: int


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


class DisabledOut(Schema):
    kind: str
    channel: str
    target: str = Field(description="masked: enough to recognise, never the whole address")
    reason: str
    disabled_at: datetime | None
    update_id: str
    target_id: str = Field(
        description="the subscriber's id, or the contact's: what re-enabling it takes"
    )


class ProblemOut(Schema):
    update_id: str
    channel: str
    target: str = Field(description="masked")
    status: str
    reason: str
    attempts: int


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
        disabled=[DisabledOut(**d.as_dict()) for d in report.disabled],
        problems=[ProblemOut(**p.as_dict()) for p in report.problems],
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
