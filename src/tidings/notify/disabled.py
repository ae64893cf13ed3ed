"""Every target nobody is telling any more because it failed or staff stopped it: disabled
subscribers and customer contacts' disabled channels, newest first, with their customer, the
reason, when and by whom. Targets are masked; re-enabling is
:func:`tidings.notify.services.enable_subscriber` / ``enable_contact_channel``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Q
from pydantic import BaseModel, ConfigDict, Field

from tidings.core.models import Event
from tidings.customers.models import Contact, disabled_channels
from tidings.notify.records import Page
from tidings.notify.report import masked_reply
from tidings.notify.rules import mask_target, masked_text
from tidings.subscribers.models import Subscriber

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DisabledTarget(BaseModel):
    """One disabled target; also the API's ``DisabledTargetOut`` (see :mod:`.records`)."""

    model_config = ConfigDict(frozen=True)

    kind: str = Field(description="subscriber or contact")
    target_id: str  # the subscriber's public id, or the contact's id
    channel: str
    target: str = Field(description="masked")
    name: str  # the contact's name ("" for a subscriber)
    customer_id: str
    customer_name: str
    reason: str
    disabled_at: datetime | None
    disabled_by: str = Field(description="notifier (deliveries failed) or a staff username")


def disabled_targets(
    *, q: str = "", channel: str = "", limit: int = 50, offset: int = 0
) -> Page[DisabledTarget]:
    """Disabled subscribers and contact channels matching ``q`` (any part of the target, the
    contact's or the customer's name) and ``channel``, newest first."""
    q = q.strip()
    subs = Subscriber.objects.filter(status="disabled").select_related("customer")
    contacts = Contact.objects.exclude(disabled={}).select_related("customer")
    if channel:
        subs = subs.filter(channel=channel)
    if q:
        subs = subs.filter(Q(target__icontains=q) | Q(customer__name__icontains=q))
        contacts = contacts.filter(
            Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q)
            | Q(customer__name__icontains=q)
        )  # fmt: skip
    from_contacts = [
        _contact_row(c, ch, info)
        for c in contacts
        for ch, info in disabled_channels(c).items()
        if not channel or ch == channel
    ]
    end = max(0, offset) + max(1, limit)
    sub_rows = list(subs.order_by("-disabled_at", "-id")[:end])
    who = _disabled_by([s.public_id for s in sub_rows])
    merged = sorted(
        [_subscriber_row(s, who.get(s.public_id, "")) for s in sub_rows] + from_contacts,
        key=lambda d: d.disabled_at or _EPOCH,
        reverse=True,
    )
    return Page(total=subs.count() + len(from_contacts), items=merged[max(0, offset) : end])


def _disabled_by(public_ids: list[str]) -> dict[str, str]:
    """Who disabled each subscriber last (the event log knows; the row does not)."""
    found: dict[str, str] = {}
    for subject, actor in (
        Event.objects.filter(
            kind="subscriber.disabled", subject_type="subscriber", subject_id__in=public_ids
        )
        .order_by("at", "id")
        .values_list("subject_id", "actor")
    ):
        found[subject] = actor
    return found


def _subscriber_row(s: Subscriber, by: str) -> DisabledTarget:
    masked = mask_target(s.channel, s.target)
    return DisabledTarget(
        kind="subscriber", target_id=s.public_id, channel=s.channel, target=masked, name="",
        customer_id=s.customer.public_id if s.customer else "",
        customer_name=s.customer.name if s.customer else "",
        reason=masked_reply(masked_text(s.disabled_reason, s.target, masked)),
        disabled_at=s.disabled_at, disabled_by=by,
    )  # fmt: skip


def _contact_row(c: Contact, channel: str, info: dict[str, str]) -> DisabledTarget:
    target = c.email if channel == "email" else c.phone
    masked = mask_target(channel, target)
    try:
        at: datetime | None = datetime.fromisoformat(str(info.get("at", "")))
    except ValueError:
        at = None
    return DisabledTarget(
        kind="contact", target_id=str(c.pk), channel=channel, target=masked, name=c.name,
        customer_id=c.customer.public_id, customer_name=c.customer.name,
        reason=masked_reply(masked_text(str(info.get("reason", "")), target, masked)),
        disabled_at=at, disabled_by=str(info.get("by", "")),
    )  # fmt: skip
