"""Manage and unsubscribe links: a signed token (made by the delivery ledger,
:func:`tidings.notify.ledger.unsubscribe_token`, or :func:`services.manage_token`) names a
subscriber or a customer contact.

* Unsubscribing works with a token of any age: the link in a year-old mail must still stop
  the messages, and the worst a stolen one can do is that.
* Seeing and changing a subscription (the manage page and API) works for
  ``TIDINGS_MANAGE_LINK_DAYS`` after the message that carried the link, a year by default; the
  page says until when. Every message carries a fresh link.
* A webhook's owner gets a new signing secret here, shown once: the manage link reaches only
  whoever receives the webhook's messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from django.core import signing
from django.utils.translation import gettext as _

from tidings.config import get_settings
from tidings.core import clock, events
from tidings.core.errors import InvalidInput
from tidings.core.tokens import ClockSigner
from tidings.customers.models import CONTACT_CHANNELS, NO_CHANNEL, Contact
from tidings.notify.ledger import UNSUBSCRIBE_SALT
from tidings.subscribers.models import Subscriber, new_secret
from tidings.subscribers.services import (
    ACTOR,
    ExpiredToken,
    InvalidToken,
    chosen_components,
    language_code,
)

Purpose = Literal["manage", "unsubscribe"]


@dataclass(frozen=True)
class Holder:
    """Whoever a manage or unsubscribe token names: a subscriber or a customer contact."""

    subscriber: Subscriber | None = None
    contact: Contact | None = None
    #: For a contact: the channel the link came through ("email" when the token does not say).
    channel: str = ""
    #: When the link stops working for seeing and changing the subscription (None: never).
    manage_until: datetime | None = None


def manage_max_age() -> timedelta | None:
    days = get_settings().manage_link_days
    return timedelta(days=days) if days else None


class ExpiredManageLink(ExpiredToken):
    """A genuine manage link older than ``TIDINGS_MANAGE_LINK_DAYS``."""


def holder(*, token: str, purpose: Purpose = "manage") -> Holder:
    """Who a manage or unsubscribe token names; for ``"manage"``, only while the link is young
    enough (:func:`manage_max_age`). Contact tokens may name the channel (``"c:<pk>:sms"``)."""
    signer = ClockSigner(salt=UNSUBSCRIBE_SALT)
    max_age = manage_max_age() if purpose == "manage" else None
    try:
        value = signer.unsign_object(token, max_age=max_age)
        until = _manage_until(token)
    except signing.SignatureExpired:
        raise ExpiredManageLink(
            _(
                "This link to your subscription is more than %(days)d days old. Use the link in "
                "a recent message; this one can still unsubscribe you."
            )
            % {"days": get_settings().manage_link_days}
        ) from None
    except signing.BadSignature:
        raise InvalidToken(_("This link is not valid.")) from None
    if not isinstance(value, str):
        raise InvalidToken(_("This link is not valid."))
    kind, _sep, rest = value.partition(":")
    if kind == "s":
        sub = Subscriber.objects.filter(public_id=rest).first()
        if sub is not None:
            return Holder(subscriber=sub, manage_until=until)
    elif kind == "c":
        pk, _sep, channel = rest.partition(":")
        contact = Contact.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
        if contact is not None and (not channel or channel in CONTACT_CHANNELS):
            return Holder(contact=contact, channel=channel or "email", manage_until=until)
    raise InvalidToken(_("This link is no longer valid."))


def unsubscribe(*, token: str) -> Holder:
    """Stop messages to whoever the token names. For a subscriber the row stays, marked
    ``unsubscribed`` (so a later subscription of the same target is recognised); for a customer
    contact the link's channel leaves ``Contact.channels`` (``["none"]`` when none is left,
    since an empty list means "email")."""
    who = holder(token=token, purpose="unsubscribe")
    now = clock.now()
    if who.subscriber is not None:
        sub = who.subscriber
        if sub.status != "unsubscribed":
            previous = sub.status
            sub.status = "unsubscribed"
            sub.unsubscribed_at = now
            sub.save(update_fields=["status", "unsubscribed_at"])
            events.record(kind="subscriber.unsubscribed", actor=ACTOR, subject_type="subscriber",
                          subject_id=sub.public_id, public=False, channel=sub.channel, previous=previous)  # fmt: skip
    elif who.contact is not None:
        _unsubscribe_contact(who.contact, who.channel)
    return who


def _unsubscribe_contact(contact: Contact, channel: str) -> None:
    current = [c for c in (contact.channels or ["email"]) if c != NO_CHANNEL]
    if channel not in current:
        return
    remaining = [c for c in current if c != channel]
    contact.channels = remaining or [NO_CHANNEL]
    contact.save(update_fields=["channels"])
    events.record(kind="contact.unsubscribed", actor=ACTOR, subject_type="contact",
                  subject_id=str(contact.pk), public=False, channel=channel, channels=contact.channels)  # fmt: skip


def update_preferences(
    *,
    token: str,
    language: str,
    component_ids: Iterable[str] | None = None,
    all_components: bool = True,
) -> Holder:
    """Change a subscriber's language and components. A customer contact may change only the
    language: the components that concern them follow their company's contract."""
    who = holder(token=token)
    language = language_code(language)
    if who.contact is not None:
        contact = who.contact
        if contact.language != language:
            contact.language = language
            contact.save(update_fields=["language"])
            events.record(kind="contact.preferences_changed", actor=ACTOR, subject_type="contact",
                          subject_id=str(contact.pk), public=False, fields=["language"])  # fmt: skip
        return who
    sub = who.subscriber
    assert sub is not None
    chosen = None if all_components else chosen_components(list(component_ids or []))
    changed = []
    if sub.language != language:
        sub.language = language
        changed.append("language")
    before = set(sub.components.values_list("public_id", flat=True))
    if sub.all_components != (chosen is None) or before != {c.public_id for c in chosen or []}:
        sub.all_components = chosen is None
        sub.components.set(chosen or [])
        changed.append("components")
    if changed:
        sub.save(update_fields=["language", "all_components"])
        events.record(kind="subscriber.preferences_changed", actor=ACTOR, subject_type="subscriber",
                      subject_id=sub.public_id, public=False, fields=changed)  # fmt: skip
    return who


def new_signing_secret(*, token: str) -> str:
    """A new HMAC secret for the webhook a manage token names, to show once."""
    sub = holder(token=token).subscriber
    if sub is None or sub.channel != "webhook":
        raise InvalidInput(_("Only webhook subscriptions have a signing secret."))
    sub.secret = new_secret()
    sub.save(update_fields=["secret"])
    events.record(kind="subscriber.secret_changed", actor=ACTOR, subject_type="subscriber",
                  subject_id=sub.public_id, public=False)  # fmt: skip
    return sub.secret


def _manage_until(token: str) -> datetime | None:
    age = manage_max_age()
    if age is None:
        return None
    stamp = token.rsplit(":", 2)[-2]
    return datetime.fromtimestamp(signing.b62_decode(stamp), UTC) + age
