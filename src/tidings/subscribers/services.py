"""Public self-service subscriptions: subscribe, double opt-in, preferences, unsubscribe.

Plain use cases with keyword arguments; the caller owns the transaction. Every change writes
an internal (``public=False``) event.

Confirmation by channel:

* email starts ``pending`` and is confirmed through a signed link that expires after
  :data:`CONFIRM_MAX_AGE` (double opt-in). The confirmation mail is a :class:`Message` of kind
  ``confirm`` with one :class:`Delivery`, so the ordinary delivery worker sends it.
* webhooks are active at once; the signing secret is shown once, in the answer.
* SMS, WhatsApp, Telegram, Slack, Teams and Apprise are active at once. Double opt-in for
  phone numbers (a code sent to the number) is out of scope for now, so anyone may subscribe a
  number they do not own; WhatsApp messages carry the unsubscribe link, SMS relies on the
  provider's STOP handling. Apprise URLs that send email are refused (they would bypass the
  email confirmation).

A second subscription of the same (channel, target) never says whether the target was
subscribed already: the answer is the same. An email still pending gets a fresh confirmation
mail (at most one per :data:`RESEND_AFTER`); an active one gets nothing new.

Tokens: confirmation links sign ``"confirm:<public id>"`` with :data:`CONFIRM_SALT`; manage and
unsubscribe links use the delivery ledger's token (``"s:<public id>"`` for a subscriber,
``"c:<contact pk>"`` for a customer contact, see :func:`tidings.notify.ledger.unsubscribe_token`)
and are read by :mod:`tidings.subscribers.manage`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings as django_settings
from django.core import signing
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidings.components.models import Component
from tidings.config import TidingsSettings, get_settings
from tidings.core import clock, events, text, throttle
from tidings.core.errors import DomainError, InvalidInput
from tidings.core.tokens import ClockSigner
from tidings.notify import registry
from tidings.notify.ledger import unsubscribe_token
from tidings.notify.models import Delivery, Message
from tidings.notify.protocol import InvalidTarget
from tidings.subscribers.models import CHANNELS, Subscriber, new_secret

CONFIRM_SALT = "tidings.subscribe.confirm"
CONFIRM_MAX_AGE = timedelta(days=7)
#: A pending email subscriber gets at most one confirmation mail in this time.
RESEND_AFTER = timedelta(minutes=10)
#: At most this many never-confirmed subscriptions are forgotten per run (the job runs again).
FORGET_BATCH = 5000
#: Who made a self-service change, in the event log.
ACTOR = "public"
#: Channels a subscriber of which is told about updates without confirming first.
ACTIVE_AT_ONCE = frozenset(CHANNELS) - {"email"}

CHANNEL_LABELS = {
    "email": gettext_lazy("Email"),
    "sms": gettext_lazy("SMS (text message)"),
    "whatsapp": gettext_lazy("WhatsApp"),
    "telegram": gettext_lazy("Telegram chat"),
    "slack": gettext_lazy("Slack (incoming webhook)"),
    "teams": gettext_lazy("Microsoft Teams (workflow webhook)"),
    "webhook": gettext_lazy("Webhook (JSON POST)"),
    "apprise": gettext_lazy("Apprise URL"),
}
_TARGET_PROBLEM = {
    "email": gettext_lazy("This email address cannot be used"),
    "sms": gettext_lazy("This phone number cannot be used"),
    "whatsapp": gettext_lazy("This phone number cannot be used"),
    "telegram": gettext_lazy("This Telegram chat cannot be used"),
}
#: Apprise schemes that send email: the email channel confirms the address first, Apprise
#: would not, so a public subscriber could sign anyone's mailbox up.
_APPRISE_MAIL_SCHEMES = ("mailto", "mailtos", "email", "emails", "sendgrid", "ses", "mailgun")


class InvalidToken(DomainError):
    """A confirmation, manage or unsubscribe link that is damaged, forged or unknown."""

    status_code = 400


class ExpiredToken(InvalidToken):
    """A genuine confirmation link older than :data:`CONFIRM_MAX_AGE`."""


@dataclass(frozen=True)
class Subscription:
    """What :func:`subscribe` gives back. ``secret`` is the webhook signing secret to show
    once; an already subscribed webhook keeps its own, and ``secret`` is then a fresh value that
    is not stored, so the answer looks the same either way."""

    subscriber: Subscriber
    secret: str = ""


def languages() -> list[str]:
    return [code for code, _name in django_settings.LANGUAGES]


def available_channels(settings: TidingsSettings | None = None) -> list[str]:
    """Channels the public may subscribe with: those this installation can send through."""
    s = settings or get_settings()
    off = set()
    if not (s.twilio_account_sid and s.twilio_from):
        off.add("sms")
    if not (s.twilio_account_sid and s.twilio_whatsapp_from):
        off.add("whatsapp")
    if not s.telegram_bot_token:
        off.add("telegram")
    return [c for c in registry.CHANNELS if c in CHANNELS and c not in off]


def target_key(normalised: str) -> str:
    return hashlib.sha256(normalised.encode()).hexdigest()


def normalise(channel: str, target: str, *, public: bool = True) -> str:
    """The canonical target, or :class:`InvalidInput` saying what is wrong with it. For the
    public: an Apprise URL must use one of ``TIDINGS_APPRISE_PUBLIC_SCHEMES`` (staff, who
    record the subscriber's consent, may use any)."""
    if channel not in available_channels():
        raise InvalidInput(_("Choose one of the offered channels."))
    try:
        target = text.line(target, field="target")
    except InvalidInput:
        raise InvalidInput(
            _("The address contains a control character (such as a line break); remove it.")
        ) from None
    if channel == "apprise" and public:
        _check_apprise_scheme(target)
    try:
        value = registry.channel_class(channel).normalise_target(target)
    except InvalidTarget as exc:
        lead = _TARGET_PROBLEM.get(channel, gettext_lazy("This URL cannot be used"))
        raise InvalidInput(f"{lead}: {exc}") from None
    return value


def _check_apprise_scheme(url: str) -> None:
    scheme = url.partition("://")[0].strip().lower()
    allowed = get_settings().apprise_public_schemes
    if scheme in _APPRISE_MAIL_SCHEMES:
        raise InvalidInput(_("To get updates by email, choose the email channel."))
    if scheme and scheme not in allowed:
        raise InvalidInput(
            _(
                "Apprise URLs starting with %(scheme)s:// cannot be used here; use one of: %(schemes)s."
            )
            % {"scheme": scheme, "schemes": ", ".join(f"{s}://" for s in allowed)}
        )


def language_code(language: str) -> str:
    if language not in languages():
        raise InvalidInput(
            _("Choose a language: %(choices)s.") % {"choices": ", ".join(languages())}
        )
    return language


def chosen_components(component_ids: Iterable[str] | None) -> list[Component] | None:
    """``None`` means every component; otherwise at least one, each of them known."""
    if component_ids is None:
        return None
    wanted = list(dict.fromkeys(component_ids))
    if not wanted:
        raise InvalidInput(_("Choose at least one component, or all of them."))
    found = list(Component.objects.filter(public_id__in=wanted))
    if len(found) != len(wanted):
        raise InvalidInput(_("Some of the chosen components do not exist."))
    return found


def subscribe_allowed(client: str) -> bool:
    """Count one subscription request from ``client`` (an address); whether it is within the
    hourly limit. A script posting addresses in a loop must not mail thousands of strangers."""
    limit = get_settings().subscribe_limit_per_hour
    return throttle.allow("subscribe", client, limit=limit, per_seconds=3600)


def too_many_message() -> str:
    return _(
        "Too many subscription requests from your network in the last hour. Please try again later."
    )


def subscribe(
    *, channel: str, target: str, language: str = "en", component_ids: Iterable[str] | None = None
) -> Subscription:
    """Subscribe ``target`` on ``channel`` to updates about ``component_ids`` (``None``: all)."""
    value = normalise(channel, target)
    language = language_code(language)
    chosen = chosen_components(component_ids)
    now = clock.now()
    key = target_key(value)
    existing = Subscriber.objects.filter(channel=channel, target_key=key).first()
    if existing is None:
        sub = Subscriber.objects.create(
            channel=channel, target=value, target_key=key, language=language,
            all_components=chosen is None, created_at=now,
            status="pending" if channel == "email" else "active",
            confirmed_at=None if channel == "email" else now,
        )  # fmt: skip
        if chosen:
            sub.components.set(chosen)
        events.record(kind="subscriber.created", actor=ACTOR, subject_type="subscriber",
                      subject_id=sub.public_id, public=False, channel=channel, status=sub.status)  # fmt: skip
        if channel == "email":
            send_confirmation(sub)
        return Subscription(sub, sub.secret if channel == "webhook" else "")
    return _subscribe_again(existing, language=language, chosen=chosen)


def _subscribe_again(
    sub: Subscriber, *, language: str, chosen: list[Component] | None
) -> Subscription:
    """The same target again. An active subscription is left exactly as it is (a stranger who
    knows the address must not change it); any other starts over with the new choices. A
    webhook keeps its signing secret: anyone may subscribe a URL, so whoever does must not
    learn the secret its owner verifies our messages with. The answer carries a throwaway
    secret, as for an active one; the owner gets a new secret through the manage link that
    every message carries (:func:`tidings.subscribers.manage.new_signing_secret`)."""
    throwaway = new_secret() if sub.channel == "webhook" else ""
    if sub.status == "active":
        return Subscription(sub, throwaway)
    if sub.status != "pending":
        sub.status = "pending" if sub.channel == "email" else "active"
        sub.confirmed_at = None if sub.channel == "email" else clock.now()
        sub.unsubscribed_at = sub.disabled_at = None
        sub.disabled_reason = ""
        events.record(kind="subscriber.resubscribed", actor=ACTOR, subject_type="subscriber",
                      subject_id=sub.public_id, public=False, channel=sub.channel, status=sub.status)  # fmt: skip
    sub.language = language
    sub.all_components = chosen is None
    sub.save()
    sub.components.set(chosen or [])
    if sub.status == "pending":
        send_confirmation(sub)
    return Subscription(sub, throwaway)


# --- Confirmation ---------------------------------------------------------------------------


def confirm_token(subscriber: Subscriber) -> str:
    return ClockSigner(salt=CONFIRM_SALT).sign_object(f"confirm:{subscriber.public_id}")


def confirm_url(subscriber: Subscriber) -> str:
    return f"{get_settings().public_url}/subscriptions/confirm/{confirm_token(subscriber)}"


def manage_token(subscriber: Subscriber) -> str:
    """The subscriber's manage and unsubscribe token, the one their messages carry."""
    return unsubscribe_token(subscriber_id=subscriber.public_id)


def send_confirmation(subscriber: Subscriber) -> Delivery | None:
    """Queue the double opt-in mail, unless one was queued less than :data:`RESEND_AFTER`
    ago (a form submitted in a loop must not flood someone's mailbox)."""
    now = clock.now()
    recent = Delivery.objects.filter(
        subscriber=subscriber, message__kind="confirm", created_at__gt=now - RESEND_AFTER
    )
    if recent.exists():
        return None
    s = get_settings()
    with translation.override(subscriber.language):
        ctx = {
            "site_name": s.site_name,
            "page_url": s.public_url,
            "confirm_url": confirm_url(subscriber),
            "days": CONFIRM_MAX_AGE.days,
            "rtl": translation.get_language_bidi(),
            "lang": subscriber.language,
        }
        subject = _("[%(site)s] Confirm your subscription to status updates") % {
            "site": s.site_name
        }
        text = render_to_string("subscribers/confirm_email.txt", ctx)
        html = render_to_string("subscribers/confirm_email.html", ctx)
    message = Message.objects.create(
        kind="confirm", channel="email", language=subscriber.language, subject=subject,
        text=text, html=html, created_at=now,
    )  # fmt: skip
    delivery = Delivery.objects.create(
        message=message, channel="email", target=subscriber.target, subscriber=subscriber,
        next_attempt_at=now, created_at=now,
    )  # fmt: skip
    events.record(kind="subscriber.confirmation_sent", actor=ACTOR, subject_type="subscriber",
                  subject_id=subscriber.public_id, public=False, delivery_id=delivery.pk)  # fmt: skip
    return delivery


def confirm(*, token: str) -> Subscriber:
    """Activate the pending subscriber a confirmation link names. Following it twice is fine;
    a link to a subscription since ended is refused (subscribe again)."""
    try:
        value = ClockSigner(salt=CONFIRM_SALT).unsign_object(token, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise ExpiredToken(_("This confirmation link has expired.")) from None
    except signing.BadSignature:
        raise InvalidToken(_("This link is not valid.")) from None
    kind, _sep, public_id = str(value).partition(":")
    sub = Subscriber.objects.filter(public_id=public_id).first() if kind == "confirm" else None
    if sub is None or sub.status in ("unsubscribed", "disabled"):
        raise InvalidToken(_("This link is no longer valid."))
    if sub.status == "pending":
        sub.status = "active"
        sub.confirmed_at = clock.now()
        sub.save(update_fields=["status", "confirmed_at"])
        events.record(kind="subscriber.confirmed", actor=ACTOR, subject_type="subscriber",
                      subject_id=sub.public_id, public=False, channel=sub.channel)  # fmt: skip
    return sub


def forget_unconfirmed(now: datetime | None = None) -> int:
    """Delete email subscriptions nobody confirmed whose last confirmation link has expired,
    and blank the address on their finished confirmation mails: an address that was never
    confirmed may have been typed by a stranger, so it is not kept. Returns how many."""
    cutoff = (now or clock.now()) - CONFIRM_MAX_AGE
    live_link = Delivery.objects.filter(
        subscriber=OuterRef("pk"), message__kind="confirm", created_at__gt=cutoff
    )
    stale = Subscriber.objects.filter(status="pending", created_at__lt=cutoff).exclude(
        Exists(live_link)
    )
    ids = list(stale.values_list("id", flat=True)[:FORGET_BATCH])
    if not ids:
        return 0
    with transaction.atomic():
        Delivery.objects.filter(subscriber_id__in=ids, message__kind="confirm").exclude(
            status__in=("queued", "sending")
        ).update(target="")
        Subscriber.objects.filter(id__in=ids).delete()
        events.record(kind="subscribers.unconfirmed_forgotten", actor="scheduler",
                      subject_type="subscriber", subject_id="", public=False, count=len(ids))  # fmt: skip
    return len(ids)
