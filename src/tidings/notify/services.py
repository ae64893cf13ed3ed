"""Use cases of delivery that staff start: disabling a target with a reason (its queued
messages are cancelled, saying why) and telling it again later. The caller owns the
transaction."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tidings.core import clock, events, text
from tidings.core.errors import InvalidInput, NotFound
from tidings.customers.models import CONTACT_CHANNELS, NO_CHANNEL, Contact, reached_on
from tidings.notify.claims import cancel_reason
from tidings.notify.models import Delivery
from tidings.subscribers.models import Subscriber

#: How long a staff member's reason for disabling a target may be.
REASON_CHARS = 500


def _reason(reason: str) -> str:
    return text.line(reason, field=_("reason"), max_chars=REASON_CHARS, required=True)


def disable_subscriber(*, actor: str, subscriber_id: str, reason: str) -> Subscriber:
    """Stop telling a subscriber (a bad address, a complaint, a loop): ``reason`` is required
    and shown wherever the subscriber is. Its queued messages are cancelled now."""
    why = _reason(reason)
    sub = Subscriber.objects.select_for_update().filter(public_id=subscriber_id).first()
    if sub is None:
        raise NotFound(_("no subscriber %(id)s") % {"id": subscriber_id})
    if sub.status in ("disabled", "unsubscribed"):
        raise InvalidInput(_("this subscriber is %(status)s already") % {"status": sub.status})
    previous = sub.status
    sub.status, sub.disabled_at, sub.disabled_reason = "disabled", clock.now(), why
    sub.save(update_fields=["status", "disabled_at", "disabled_reason"])
    cancelled = Delivery.objects.filter(subscriber=sub, status="queued").update(
        status="cancelled", last_error=cancel_reason(True, why)
    )
    events.record(kind="subscriber.disabled", actor=actor, subject_type="subscriber",
                  subject_id=sub.public_id, public=False, channel=sub.channel, reason=why,
                  previous=previous, cancelled=cancelled)  # fmt: skip
    return sub


def disable_contact_channel(*, actor: str, contact_id: int, channel: str, reason: str) -> Contact:
    """Stop telling a customer contact on ``channel``, with a reason; the contact's other
    channels go on. Its queued messages on that channel are cancelled now."""
    why = _reason(reason)
    contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
    if contact is None:
        raise NotFound(_("no contact %(id)s") % {"id": contact_id})
    current = reached_on(contact.channels)
    if channel not in current:
        raise InvalidInput(
            _("this contact is not told on %(channel)s; nothing to disable") % {"channel": channel}
        )
    contact.channels = [c for c in current if c != channel] or [NO_CHANNEL]
    contact.disabled = {
        **(contact.disabled or {}),
        channel: {"at": clock.now().isoformat(), "reason": why, "by": actor},
    }
    contact.save(update_fields=["channels", "disabled"])
    cancelled = Delivery.objects.filter(contact=contact, channel=channel, status="queued").update(
        status="cancelled", last_error=cancel_reason(True, why)
    )
    events.record(kind="contact.channel_disabled", actor=actor, subject_type="contact",
                  subject_id=str(contact.pk), public=False, channel=channel, reason=why,
                  cancelled=cancelled)  # fmt: skip
    return contact


def enable_subscriber(*, actor: str, subscriber_id: str) -> Subscriber:
    """A disabled subscriber is active again. One that unsubscribed stays so: that was theirs
    to decide."""
    sub = Subscriber.objects.select_for_update().filter(public_id=subscriber_id).first()
    if sub is None:
        raise NotFound(_("no subscriber %(id)s") % {"id": subscriber_id})
    if sub.status != "disabled":
        raise InvalidInput(
            _("this subscriber is %(status)s, not disabled; only a disabled one can be enabled")
            % {"status": sub.status}
        )
    previous = sub.disabled_reason
    sub.status, sub.disabled_at, sub.disabled_reason = "active", None, ""
    sub.save(update_fields=["status", "disabled_at", "disabled_reason"])
    events.record(kind="subscriber.enabled", actor=actor, subject_type="subscriber",
                  subject_id=sub.public_id, public=False, channel=sub.channel,
                  was_disabled_for=previous)  # fmt: skip
    return sub


def enable_contact_channel(*, actor: str, contact_id: int, channel: str) -> Contact:
    """Tell a customer contact on ``channel`` again after deliveries took it off."""
    if channel not in CONTACT_CHANNELS:
        raise InvalidInput(
            _("%(channel)s is not a contact channel; use one of %(known)s")
            % {"channel": channel, "known": ", ".join(CONTACT_CHANNELS)}
        )
    contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
    if contact is None:
        raise NotFound(_("no contact %(id)s") % {"id": contact_id})
    if channel in reached_on(contact.channels):
        raise InvalidInput(_("this contact is told on %(channel)s already") % {"channel": channel})
    if not (contact.email if channel == "email" else contact.phone):
        raise InvalidInput(
            _("this contact has no %(what)s to use")
            % {"what": _("email address") if channel == "email" else _("phone number")}
        )
    # No channels listed means email: keep that when another channel comes back.
    contact.channels = [c for c in (contact.channels or ["email"]) if c != NO_CHANNEL] + [channel]
    contact.disabled = {k: v for k, v in (contact.disabled or {}).items() if k != channel}
    contact.save(update_fields=["channels", "disabled"])
    events.record(kind="contact.channel_enabled", actor=actor, subject_type="contact",
                  subject_id=str(contact.pk), public=False, channel=channel)  # fmt: skip
    return contact
