"""Staff API for who is told and how the telling went: the audience preview of an incident
(sends nothing) and the delivery figures of each of its updates.

:func:`delivery_report` is shared with the console's deliveries page. Targets (addresses,
phone numbers, webhook URLs) never leave here in full: :func:`mask_target`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.db.models import Count, Max, Min
from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from tidings.core.models import Event
from tidings.customers.models import reached_on
from tidings.incidents import rules, services
from tidings.incidents.models import Incident, IncidentUpdate
from tidings.notify import audience as audiences
from tidings.notify.models import DELIVERY_STATUSES, Delivery

router = Router(tags=["notifications"])

PENDING = ("queued", "sending")


# --- masking ------------------------------------------------------------------------------


def mask_target(channel: str, target: str) -> str:
    """Enough of a target to recognise it, never the whole of it."""
    t = target.strip()
    if not t:
        return ""
    if "://" in t:
        parts = urlsplit(t)
        # The host of a web address, never its user:password@ part nor its path (Slack and
        # Teams hook URLs carry their secret there); other schemes (Apprise's tgram://TOKEN)
        # may hold a secret in the host too.
        host = parts.hostname if parts.scheme in ("http", "https") else ""
        return f"{parts.scheme}://{host}/…" if host else f"{parts.scheme}://…"
    if channel == "email" or re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", t):
        local, _, domain = t.rpartition("@")
        return f"{local[:1]}***@{domain}" if local else "***@" + domain
    if re.fullmatch(r"\+?[\d\s\-().]{7,}", t):
        digits = re.sub(r"\D", "", t)
        lead = "+" if t.startswith("+") else ""
        return f"{lead}{digits[:3]}{'*' * max(3, len(digits) - 5)}{digits[-2:]}"
    if len(t) <= 6:
        return "***"
    return f"{t[:2]}***{t[-2:]}"


def _masked_reason(reason: str, target: str, masked: str) -> str:
    """Providers quote the address in their errors; the reason must not give it away."""
    if target:
        reason = re.sub(re.escape(target.strip()), masked, reason, flags=re.IGNORECASE)
    return reason


# --- the delivery report ------------------------------------------------------------------


@dataclass
class UpdateDeliveries:
    update_id: str
    status: str
    posted_at: datetime
    notified: bool  # the update asked for notifications at all
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DELIVERY_STATUSES, 0))
    total: int = 0
    first_created_at: datetime | None = None
    last_sent_at: datetime | None = None

    @property
    def pending(self) -> int:
        return sum(self.totals[s] for s in PENDING)

    @property
    def complete(self) -> bool:
        """Every delivery has its final answer: nothing queued or being sent."""
        return self.pending == 0

    @property
    def seconds_to_last_delivery(self) -> float | None:
        """From the update's publication to the last delivery sent (so far, if not complete)."""
        if self.last_sent_at is None:
            return None
        return round((self.last_sent_at - self.posted_at).total_seconds(), 3)

    def as_dict(self) -> dict[str, Any]:
        return {
            "update_id": self.update_id,
            "status": self.status,
            "posted_at": self.posted_at,
            "notified": self.notified,
            "by_channel": self.by_channel,
            "totals": self.totals,
            "total": self.total,
            "pending": self.pending,
            "complete": self.complete,
            "first_created_at": self.first_created_at,
            "last_sent_at": self.last_sent_at,
            "seconds_to_last_delivery": self.seconds_to_last_delivery,
        }


@dataclass(frozen=True)
class DisabledTarget:
    kind: str  # "subscriber" or "contact"
    channel: str
    target: str  # masked
    reason: str
    disabled_at: datetime | None
    update_id: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "channel": self.channel,
            "target": self.target,
            "reason": self.reason,
            "disabled_at": self.disabled_at,
            "update_id": self.update_id,
        }


@dataclass
class DeliveryReport:
    incident_id: str
    title: str
    updates: list[UpdateDeliveries]
    disabled: list[DisabledTarget]


def _min(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def delivery_report(incident: Incident) -> DeliveryReport:
    """Per update (newest first): deliveries by channel and status, the first created and the
    last sent; and the targets this incident's deliveries found dead and disabled."""
    updates = list(IncidentUpdate.objects.filter(incident=incident).order_by("-display_at", "-id"))
    by_pk = {
        u.pk: UpdateDeliveries(
            update_id=u.public_id,
            status=u.status,
            posted_at=u.created_at,
            notified=u.deliver_notifications,
        )
        for u in updates
    }
    rows = (
        Delivery.objects.filter(message__update__incident=incident, message__kind="update")
        .values_list("message__update_id", "channel", "status")
        .annotate(n=Count("id"), first=Min("created_at"), last=Max("sent_at"))
        .order_by()
    )
    for update_pk, channel, status, n, first, last in rows:
        u = by_pk[update_pk]
        counts = u.by_channel.setdefault(channel, dict.fromkeys(DELIVERY_STATUSES, 0))
        counts[status] += n
        u.totals[status] += n
        u.total += n
        u.first_created_at = _min(u.first_created_at, first)
        u.last_sent_at = _max(u.last_sent_at, last)
    for u in by_pk.values():
        u.by_channel = dict(sorted(u.by_channel.items()))
    return DeliveryReport(
        incident_id=incident.public_id,
        title=incident.title,
        updates=[by_pk[u.pk] for u in updates],
        disabled=_disabled(incident),
    )


def _disabled(incident: Incident) -> list[DisabledTarget]:
    dead = (
        Delivery.objects.filter(message__update__incident=incident, status="dead")
        .select_related("subscriber", "contact", "message__update")
        .order_by("id")
    )
    contact_ids = {str(d.contact_id) for d in dead if d.contact_id}
    contact_events = {
        (e.subject_id, str(e.data.get("channel", ""))): e.at
        for e in Event.objects.filter(
            kind="contact.channel_disabled", subject_type="contact", subject_id__in=contact_ids
        ).order_by("at")
    }
    seen: set[tuple[str, str]] = set()
    out: list[DisabledTarget] = []
    for d in dead:
        if (d.channel, d.target) in seen:
            continue
        seen.add((d.channel, d.target))
        masked = mask_target(d.channel, d.target)
        update_id = d.message.update.public_id if d.message.update else ""
        if d.subscriber is not None and d.subscriber.status == "disabled":
            reason, at, kind = d.subscriber.disabled_reason, d.subscriber.disabled_at, "subscriber"
        elif d.contact is not None and d.channel not in reached_on(d.contact.channels):
            reason = d.last_error
            at, kind = contact_events.get((str(d.contact_id), d.channel)), "contact"
        else:
            continue  # re-enabled since, or never ours to disable
        out.append(
            DisabledTarget(
                kind=kind,
                channel=d.channel,
                target=masked,
                reason=_masked_reason(reason or "permanent failure", d.target, masked),
                disabled_at=at,
                update_id=update_id,
            )
        )
    return out


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
    note: str = ""


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


class DisabledOut(Schema):
    kind: str
    channel: str
    target: str = Field(description="masked: enough to recognise, never the whole address")
    reason: str
    disabled_at: datetime | None
    update_id: str


class DeliveriesOut(Schema):
    incident_id: str
    title: str
    updates: list[UpdateDeliveriesOut]
    disabled: list[DisabledOut]


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
        note=note,
    )


@router.get("/incidents/{incident_id}/deliveries", response=DeliveriesOut)
def incident_deliveries(request: HttpRequest, incident_id: str) -> DeliveriesOut:
    """Per update: deliveries by channel and status, and the time from publication to the
    last delivery; and the targets disabled after a permanent failure (masked)."""
    report = delivery_report(services.get_incident(incident_id))
    return DeliveriesOut(
        incident_id=report.incident_id,
        title=report.title,
        updates=[UpdateDeliveriesOut(**u.as_dict()) for u in report.updates],
        disabled=[DisabledOut(**d.as_dict()) for d in report.disabled],
    )
