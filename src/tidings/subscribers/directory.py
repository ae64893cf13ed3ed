"""Subscribers as staff see them: found by any part of their address, filtered, counted by
channel and component, added for someone, corrected. The caller owns the transaction.

Staff may add a subscriber who is confirmed at once (no double opt-in mail): they must say how
the person agreed ("asked by phone, ticket 4411"). That statement is kept on the subscriber
(``consent``, with ``added_by``) and in the event log, for as long as the subscription lasts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from tidings.components.models import Component
from tidings.core import clock, events, text
from tidings.core.errors import InvalidInput, NotFound
from tidings.core.ids import is_public_id
from tidings.customers.models import Customer
from tidings.customers.services import phone_matching
from tidings.subscribers.models import CHANNELS, STATUSES, Subscriber
from tidings.subscribers.services import (
    chosen_components,
    language_code,
    normalise,
    target_key,
)

CONSENT_CHARS = 500


@dataclass(frozen=True)
class Filters:
    """What a staff member narrows the list with; every field optional."""

    q: str = ""  # any part of the address, phone digits, the id or the customer's name
    channel: str = ""
    status: str = ""
    component: str = ""  # a component's public id: who hears about it (all-component included)
    customer: str = ""  # a customer's public id
    language: str = ""


def find(f: Filters) -> QuerySet[Subscriber]:
    """Subscribers matching ``f``, newest first."""
    qs = Subscriber.objects.select_related("customer").order_by("-created_at", "-id")
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.language:
        qs = qs.filter(language=f.language)
    if f.customer:
        qs = qs.filter(customer__public_id=f.customer)
    if f.component:
        qs = qs.filter(
            Q(all_components=True)
            | Q(pk__in=Subscriber.components.through.objects.filter(
                component__public_id=f.component).values("subscriber_id"))
        )  # fmt: skip
    q = f.q.strip()
    if q:
        qs = qs.filter(_matching(q))
    return qs


def _matching(q: str) -> Q:
    cond = Q(target__icontains=q) | Q(customer__name__icontains=q)
    if is_public_id(q.lower()):
        cond |= Q(public_id=q.lower())
    return cond | phone_matching(q, field="target")


def get(public_id: str) -> Subscriber:
    sub = Subscriber.objects.select_related("customer").filter(public_id=public_id).first()
    if sub is None:
        raise NotFound(_("no subscriber %(id)s") % {"id": public_id})
    return sub


@dataclass(frozen=True)
class ComponentCount:
    id: str
    name: str
    names: dict[str, str]
    chosen: int  # active subscribers who picked this component
    told: int  # those plus the ones subscribed to everything


@dataclass
class Counts:
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    all_components: int = 0  # active subscribers told about every component
    by_component: list[ComponentCount] = field(default_factory=list)


def counts() -> Counts:
    """Subscribers per channel and status, and the active ones per component."""
    out = Counts(by_status=dict.fromkeys(STATUSES, 0))
    rows = Subscriber.objects.values_list("channel", "status").annotate(n=Count("id")).order_by()
    for channel, status, n in rows:
        out.by_channel.setdefault(channel, dict.fromkeys(STATUSES, 0))[status] += n
        out.by_status[status] += n
    out.by_channel = {c: out.by_channel[c] for c in CHANNELS if c in out.by_channel}
    active = Subscriber.objects.filter(status="active")
    out.all_components = active.filter(all_components=True).count()
    picked = dict(
        Subscriber.components.through.objects.filter(
            subscriber__status="active", subscriber__all_components=False
        )
        .values_list("component_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for c in Component.objects.order_by("position", "name"):
        n = picked.get(c.pk, 0)
        out.by_component.append(
            ComponentCount(c.public_id, c.name, dict(c.names or {}), n, n + out.all_components)
        )
    return out


def _customer(customer_id: str) -> Customer | None:
    if not customer_id:
        return None
    customer = Customer.objects.filter(public_id=customer_id).first()
    if customer is None:
        raise InvalidInput(_("no customer %(id)s") % {"id": customer_id})
    return customer


def consent_text(consent: str) -> str:
    value = text.line(consent or "", field="consent", max_chars=CONSENT_CHARS)
    if not value:
        raise InvalidInput(
            _(
                "Say how this person agreed to get updates (for example: asked by phone, ticket 4411)."
            )
        )
    return value


def add(
    *,
    actor: str,
    channel: str,
    target: str,
    consent: str,
    language: str = "en",
    component_ids: Iterable[str] | None = None,
    customer_id: str = "",
) -> Subscriber:
    """A confirmed subscriber, added by staff. One who unsubscribed or is still pending is
    (re)activated with the new consent; one already active or disabled is named, not changed."""
    consent = consent_text(consent)
    value = normalise(channel, target, public=False)
    language = language_code(language)
    chosen = chosen_components(component_ids)
    customer = _customer(customer_id)
    now = clock.now()
    sub = (
        Subscriber.objects.select_for_update()
        .filter(channel=channel, target_key=target_key(value))
        .first()
    )
    if sub is not None and sub.status == "active":
        raise InvalidInput(
            _("%(target)s is subscribed already (subscriber %(id)s).")
            % {"target": value, "id": sub.public_id}
        )
    if sub is not None and sub.status == "disabled":
        raise InvalidInput(
            _("%(target)s is disabled (subscriber %(id)s: %(reason)s); re-enable it instead.")
            % {"target": value, "id": sub.public_id, "reason": sub.disabled_reason}
        )
    kind = "subscriber.added" if sub is None else "subscriber.readded"
    if sub is None:
        sub = Subscriber(
            channel=channel, target=value, target_key=target_key(value), created_at=now
        )
    sub.status, sub.confirmed_at, sub.unsubscribed_at = "active", now, None
    sub.language, sub.all_components, sub.customer = language, chosen is None, customer
    sub.added_by, sub.consent = actor, consent
    sub.save()
    sub.components.set(chosen or [])
    events.record(kind=kind, actor=actor, subject_type="subscriber", subject_id=sub.public_id,
                  public=False, channel=channel, consent=consent)  # fmt: skip
    return sub


_UNSET: list[str] = []


def change(
    *,
    actor: str,
    subscriber: Subscriber,
    target: str | None = None,
    language: str | None = None,
    component_ids: Iterable[str] | None = _UNSET,
    customer_id: str | None = None,
) -> Subscriber:
    """Correct a subscriber: a mistyped address, the language, the components (``None``:
    all), the customer. A disabled one stays disabled until re-enabled."""
    changed: list[str] = []
    if target is not None:
        value = normalise(subscriber.channel, target, public=False)
        if value != subscriber.target:
            key = target_key(value)
            other = (
                Subscriber.objects.filter(channel=subscriber.channel, target_key=key)
                .exclude(pk=subscriber.pk)
                .first()
            )
            if other is not None:
                raise InvalidInput(
                    _("%(target)s belongs to subscriber %(id)s already.")
                    % {"target": value, "id": other.public_id}
                )
            subscriber.target, subscriber.target_key = value, key
            changed.append("target")
    if language is not None and language_code(language) != subscriber.language:
        subscriber.language = language
        changed.append("language")
    if customer_id is not None:
        customer = _customer(customer_id)
        if customer != subscriber.customer:
            subscriber.customer = customer
            changed.append("customer")
    if component_ids is not _UNSET:
        chosen = chosen_components(component_ids)
        subscriber.all_components = chosen is None
        subscriber.components.set(chosen or [])
        changed.append("components")
    if changed:
        subscriber.save()
        events.record(kind="subscriber.changed", actor=actor, subject_type="subscriber",
                      subject_id=subscriber.public_id, public=False, fields=changed)  # fmt: skip
    return subscriber
