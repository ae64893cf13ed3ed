"""The demo's customers and their contacts, and the webhook endpoint of one of them: loaded
after the components and incidents (demo/load.py), so each customer uses real components."""

from __future__ import annotations

from django.contrib.auth.models import User

from tidings.core import clock

#: A contact's fields, in the order a contact of CUSTOMERS gives them.
CONTACT = ("name", "role", "email", "phone", "language", "channels")
# (name, plan, strategic, components used, contacts: each as CONTACT names its fields)
CUSTOMERS = [
    (
        "Globex Bank",
        "enterprise",
        True,
        ["API", "Authentication", "Databases", "Email delivery"],
        [
            ("Noa Levi", "CTO", "noa@globex.example", "+972501111111", "he", ["email", "sms"]),
            (
                "Sam Carter",
                "Head of support",
                "sam@globex.example",
                "+442071111111",
                "en",
                ["email", "slack"],
            ),
        ],
    ),
    (
        "Initech Retail",
        "business",
        True,
        ["Web dashboard", "Billing", "API"],
        [
            (
                "Dana Cohen",
                "Operations",
                "dana@initech.example",
                "+972502222222",
                "he",
                ["whatsapp", "email"],
            )
        ],
    ),
    (
        "Umbrella Health",
        "enterprise",
        True,
        ["API", "Object storage", "Backups"],
        [
            (
                "Lee Park",
                "IT director",
                "lee@umbrella.example",
                "+12125550100",
                "en",
                ["email", "sms"],
            )
        ],
    ),
    (
        "Hooli Media",
        "business",
        False,
        ["Object storage", "Search"],
        [("Avi Mizrahi", "Developer", "avi@hooli.example", "", "he", ["email"])],
    ),
    (
        "Stark Logistics",
        "standard",
        False,
        ["SMS gateway", "Mobile push"],
        [
            (
                "Maya Green",
                "Product",
                "maya@stark.example",
                "+972503333333",
                "en",
                ["email", "telegram"],
            )
        ],
    ),
    (
        "Wayne Foods",
        "standard",
        False,
        ["Web dashboard", "Email delivery"],
        [("Yossi Katz", "Owner", "yossi@wayne.example", "+972504444444", "he", ["sms"])],
    ),
    (
        "Cyberdyne Labs",
        "business",
        False,
        ["API", "Webhooks"],
        [("Ana Silva", "Platform lead", "ana@cyberdyne.example", "", "en", ["email", "webhook"])],
    ),
    (
        "Soylent Travel",
        "free",
        False,
        ["Web dashboard"],
        [("Tom Reed", "Founder", "tom@soylent.example", "", "en", ["email"])],
    ),
]


def load_customers(ids: dict[str, str]) -> int:
    from tidings.components.models import Component
    from tidings.customers.models import Contact, Customer

    by_id = {c.public_id: c for c in Component.objects.all()}
    manager = User.objects.filter(username="admin").first()
    for number, (name, plan, strategic, used, contacts) in enumerate(CUSTOMERS, start=1001):
        customer = Customer.objects.create(
            name=name,
            plan=plan,
            strategic=strategic,
            contract_ref=f"MSA-{number}",
            account_manager=manager if strategic else None,
        )
        customer.components.set([by_id[ids[c]] for c in used])
        for contact in contacts:
            Contact.objects.create(customer=customer, **dict(zip(CONTACT, contact, strict=True)))
    return len(CUSTOMERS)


def demo_webhook(url: str) -> None:
    """Cyberdyne Labs' own webhook endpoint, at the demo's catcher, so the demo outbox shows a
    webhook body too. The catcher's port may change between runs: the URL is kept current."""
    import hashlib

    from tidings.customers.models import Customer
    from tidings.subscribers.models import Subscriber

    customer = Customer.objects.filter(name="Cyberdyne Labs").first()
    if customer is None:  # not the demo's database
        return
    key = hashlib.sha256(url.encode()).hexdigest()
    endpoint = Subscriber.objects.filter(customer=customer, channel="webhook").first()
    if endpoint is None:
        endpoint = Subscriber(customer=customer, channel="webhook", status="active",
                              created_at=clock.now(), confirmed_at=clock.now(),
                              all_components=False)  # fmt: skip
    endpoint.target, endpoint.target_key = url, key
    endpoint.save()
    endpoint.components.set(customer.components.all())
