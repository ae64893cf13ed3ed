"""Public subscription API: the status page's subscribe form as JSON. No authentication; the
token in the path (the one in every message's unsubscribe link) authorises changes.

Mount with ``api.add_router("/", "tidings.subscribers.api.router", auth=None)``: the project API
requires a token by default, and ``auth=None`` here (router and operations) switches it off."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field

from tidings.core.errors import TooManyRequests
from tidings.subscribers import manage, services
from tidings.subscribers.views import client, subscribe_atomically

router = Router(tags=["subscriptions"], auth=None)


class SubscriptionIn(Schema):
    channel: str = Field(
        description="email, sms, whatsapp, telegram, slack, teams, webhook or apprise"
    )
    target: str = Field(
        min_length=1, max_length=2000, description="Address, phone (E.164), URL or chat id."
    )
    language: str = Field(default="en", description="Language of the messages: en or he.")
    components: list[str] | None = Field(
        default=None, description="Component ids to hear about; omitted or null: all of them."
    )


class Accepted(Schema):
    detail: str
    secret: str | None = Field(
        default=None,
        description="Webhooks only: the HMAC-SHA256 signing secret, shown once. A URL that was "
        "subscribed already keeps its earlier secret and this one does not apply.",
    )


class PreferencesIn(Schema):
    language: str
    all_components: bool = True
    components: list[str] = Field(default_factory=list)


class SubscriptionOut(Schema):
    channel: str
    target: str
    status: str
    language: str
    all_components: bool
    components: list[str]


class Detail(Schema):
    detail: str


class Secret(Schema):
    secret: str = Field(description="The webhook's new HMAC-SHA256 signing secret, shown once.")


def _out(who: manage.Holder) -> SubscriptionOut:
    if who.subscriber is not None:
        s = who.subscriber
        return SubscriptionOut(
            channel=s.channel, target=s.target, status=s.status, language=s.language,
            all_components=s.all_components,
            components=sorted(s.components.values_list("public_id", flat=True)),
        )  # fmt: skip
    assert who.contact is not None
    c = who.contact
    active = who.channel in (c.channels or ["email"])
    return SubscriptionOut(
        channel=who.channel, target=c.email if who.channel == "email" else c.phone,
        status="active" if active else "unsubscribed", language=c.language,
        all_components=False, components=[],
    )  # fmt: skip


@router.post("/subscriptions", response={202: Accepted}, auth=None, summary="Subscribe")
def create_subscription(request: HttpRequest, payload: SubscriptionIn) -> tuple[int, Accepted]:
    """Subscribe to status updates. The answer is the same whether or not the target was
    subscribed already. Email addresses get a confirmation link first (valid 7 days). A client
    address may ask 30 times an hour (``TIDINGS_SUBSCRIBE_LIMIT_PER_HOUR``); then 429."""
    if not services.subscribe_allowed(client(request)):
        raise TooManyRequests(services.too_many_message())
    result = subscribe_atomically(
        channel=payload.channel, target=payload.target, language=payload.language,
        component_ids=payload.components,
    )  # fmt: skip
    if payload.channel == "email":
        detail = _(
            "If this address can receive our messages, we have sent it a link to confirm the "
            "subscription."
        )
    else:
        detail = _("Subscribed.")
    return 202, Accepted(detail=detail, secret=result.secret or None)


@router.get("/subscriptions/{token}", response=SubscriptionOut, auth=None, summary="Show")
def get_subscription(request: HttpRequest, token: str) -> SubscriptionOut:
    """Show, change (``PATCH``) and give a webhook a new secret (``POST .../secret``) with the
    token of a message's manage link, for ``TIDINGS_MANAGE_LINK_DAYS`` (365) after the message;
    ``DELETE`` unsubscribes with a token of any age."""
    return _out(manage.holder(token=token))


@router.patch("/subscriptions/{token}", response=SubscriptionOut, auth=None, summary="Change")
def change_subscription(
    request: HttpRequest, token: str, payload: PreferencesIn
) -> SubscriptionOut:
    with transaction.atomic():
        who = manage.update_preferences(
            token=token, language=payload.language, component_ids=payload.components,
            all_components=payload.all_components,
        )  # fmt: skip
    return _out(who)


@router.delete("/subscriptions/{token}", response=Detail, auth=None, summary="Unsubscribe")
def delete_subscription(request: HttpRequest, token: str) -> Detail:
    with transaction.atomic():
        manage.unsubscribe(token=token)
    return Detail(detail=_("Unsubscribed."))


@router.post("/subscriptions/{token}/secret", response=Secret, auth=None, summary="New secret")
def new_secret(request: HttpRequest, token: str) -> Secret:
    """A webhook's new signing secret, shown once; the old one stops working at once."""
    with transaction.atomic():
        return Secret(secret=manage.new_signing_secret(token=token))
