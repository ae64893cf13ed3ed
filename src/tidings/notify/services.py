"""Use cases of delivery that staff start: telling a target that deliveries disabled again.
The caller owns the transaction."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tidings.core import events
from tidings.core.errors import InvalidInput, NotFound
from tidings.customers.models import CONTACT_CHANNELS, NO_CHANNEL, Contact, reached_on
from tidings.subscribers.models import Subscriber


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
    contact.save(update_fields=["channels"])
    events.record(kind="contact.channel_enabled", actor=actor, subject_type="contact",
                  subject_id=str(contact.pk), public=False, channel=channel)  # fmt: skip
    return contact
