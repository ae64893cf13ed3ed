"""Who is told: the subscribers and customer contacts an update reaches.

``affected``: active subscribers of the incident's components (or of everything), and the
contacts of customers who use those components; with no components named, everyone.
``all``: every active subscriber and every contact. A segment (``{"plans": ["enterprise"],
"strategic": true, "customers": [ids], "components": [ids]}``) selects customers, their
contacts and their own endpoints; ``channels`` and ``languages`` narrow any audience.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q

from tidings.customers.models import Contact, Customer, reached_on
from tidings.incidents.models import Incident, IncidentComponent
from tidings.incidents.rules import Audience
from tidings.subscribers.models import Subscriber


@dataclass(frozen=True)
class Recipient:
    channel: str
    target: str
    language: str
    subscriber_id: int | None = None
    contact_id: int | None = None
    customer_id: int | None = None


@dataclass
class Preview:
    total: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    strategic_customers: list[dict[str, str]] = field(default_factory=list)
    customers: int = 0


def _contact_targets(c: Any) -> Iterator[tuple[str, str]]:
    for ch in reached_on(c.channels):
        target = c.email if ch == "email" else c.phone
        if target:
            yield ch, target.strip().lower() if ch == "email" else target.strip()


#: Component primary keys an audience is drawn for; None: the incident's own (as stored). The
#: console's preview passes the components a draft is about to name.
ComponentIds = list[int] | None


def _component_ids(incident: Incident, components: ComponentIds) -> list[int]:
    if components is not None:
        return components
    if incident.pk is None:
        return []
    return list(
        IncidentComponent.objects.filter(incident=incident).values_list("component_id", flat=True)
    )


def _customers(incident: Incident, audience: Audience, components: ComponentIds = None) -> Any:
    qs = Customer.objects.all()
    if audience == "affected":
        ids = _component_ids(incident, components)
        if ids:
            qs = qs.filter(components__in=ids)
    elif isinstance(audience, dict):
        if "plans" in audience:
            qs = qs.filter(plan__in=audience["plans"])
        if "strategic" in audience:
            qs = qs.filter(strategic=audience["strategic"])
        if "customers" in audience:
            qs = qs.filter(public_id__in=audience["customers"])
        if "components" in audience:
            qs = qs.filter(components__public_id__in=audience["components"])
    return qs.distinct()


def _subscribers(
    incident: Incident, audience: Audience, components: ComponentIds = None, status: str = "active"
) -> Any:
    # EXISTS rather than a join + DISTINCT or "id IN (subquery)": the plan stays a probe per
    # subscriber even when the planner has no statistics yet (a fresh import, autovacuum off),
    # where the join form became a nested loop over all subscribers twice.
    qs = Subscriber.objects.filter(status=status) if status else Subscriber.objects.all()
    if audience == "affected":
        ids = _component_ids(incident, components)
        if ids:
            chosen = Subscriber.components.through.objects.filter(
                subscriber_id=OuterRef("pk"), component_id__in=ids
            )
            qs = qs.filter(Q(all_components=True) | Exists(chosen))
    elif isinstance(audience, dict):
        customers = _customers(incident, audience, components).filter(pk=OuterRef("customer_id"))
        qs = qs.filter(Exists(customers))
    return qs


def _narrow(found: Iterable[Recipient], audience: Audience) -> Iterable[Recipient]:
    if isinstance(audience, dict):
        if "channels" in audience:
            found = (r for r in found if r.channel in audience["channels"])
        if "languages" in audience:
            found = (r for r in found if r.language in audience["languages"])
    return found


def contact_recipients(
    incident: Incident, audience: Audience, components: ComponentIds = None
) -> list[Recipient]:
    """Customer contacts in the audience, one per (channel, target)."""
    if audience == "none":
        return []
    seen: dict[tuple[str, str], Recipient] = {}
    customer_ids = list(_customers(incident, audience, components).values_list("id", flat=True))
    contacts = Contact.objects.filter(customer_id__in=customer_ids).only(
        "id", "customer_id", "email", "phone", "language", "channels"
    )
    for c in contacts.iterator(chunk_size=5000):
        for ch, target in _contact_targets(c):
            seen.setdefault(
                (ch, target),
                Recipient(ch, target, c.language, contact_id=c.id, customer_id=c.customer_id),
            )
    return list(_narrow(seen.values(), audience))


def subscriber_queryset(
    incident: Incident, audience: Audience, components: ComponentIds = None, status: str = "active"
) -> Any:
    """Subscribers in the audience (active ones unless ``status`` says otherwise; "" for any),
    as one query (no duplicates, nothing loaded)."""
    if audience == "none":
        return Subscriber.objects.none()
    qs = _subscribers(incident, audience, components, status)
    if isinstance(audience, dict):
        if "channels" in audience:
            qs = qs.filter(channel__in=audience["channels"])
        if "languages" in audience:
            qs = qs.filter(language__in=audience["languages"])
    return qs


def recipients(
    incident: Incident, audience: Audience, components: ComponentIds = None
) -> list[Recipient]:
    """Each (channel, target) once, whoever it came through (contacts first)."""
    seen = {(r.channel, r.target): r for r in contact_recipients(incident, audience, components)}
    subs = subscriber_queryset(incident, audience, components).values_list(
        "id", "channel", "target", "language", "customer_id"
    )
    for sid, ch, target, lang, cust in subs.iterator(chunk_size=5000):
        seen.setdefault(
            (ch, target), Recipient(ch, target, lang, subscriber_id=sid, customer_id=cust)
        )
    return list(seen.values())


def preview(incident: Incident, audience: Audience, components: ComponentIds = None) -> Preview:
    found = recipients(incident, audience, components)
    customer_ids = {r.customer_id for r in found if r.customer_id}
    strategic = Customer.objects.filter(id__in=customer_ids, strategic=True).select_related(
        "account_manager"
    )
    return Preview(
        total=len(found),
        by_channel=dict(Counter(r.channel for r in found)),
        by_language=dict(Counter(r.language for r in found)),
        customers=len(customer_ids),
        strategic_customers=[
            {
                "id": c.public_id,
                "name": c.name,
                "account_manager": c.account_manager.get_username() if c.account_manager else "",
            }
            for c in strategic
        ],
    )
