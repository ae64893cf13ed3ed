"""After subscribing: the manage page, unsubscribing (including RFC 8058 one-click from the
mail client), customer contacts' links, and who is told about what."""

from __future__ import annotations

import pytest
from django.core import signing
from django.db import transaction
from django.test import Client

from tidings.components.models import Component
from tidings.core.models import Event
from tidings.customers.models import Contact, Customer
from tidings.incidents import services as incidents
from tidings.notify.ledger import UNSUBSCRIBE_SALT, unsubscribe_token
from tidings.notify.models import Delivery
from tidings.subscribers import manage, services
from tidings.subscribers.models import Subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def erez(now) -> Subscriber:
    with transaction.atomic():
        sub = services.subscribe(channel="email", target="erez@example.com").subscriber
        return services.confirm(token=services.confirm_token(sub))


def test_one_click_unsubscribe_needs_no_cookie_and_no_csrf_token(erez):
    mail_client = Client(enforce_csrf_checks=True)
    r = mail_client.post(
        f"/unsubscribe/{services.manage_token(erez)}",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert r.status_code == 200
    erez.refresh_from_db()
    assert erez.status == "unsubscribed" and erez.unsubscribed_at is not None
    event = Event.objects.get(kind="subscriber.unsubscribed")
    assert event.subject_id == erez.public_id and event.data["public"] is False


def test_the_unsubscribe_link_asks_before_it_unsubscribes(client, erez):
    path = f"/unsubscribe/{services.manage_token(erez)}"
    page = client.get(path).content.decode()
    assert "<form" in page and "erez@example.com" in page
    erez.refresh_from_db()
    assert erez.status == "active"  # a link scanner's GET changes nothing
    r = client.post(path)
    assert r.status_code == 200 and "You are unsubscribed" in r.content.decode()
    assert client.post(path).status_code == 200  # twice is fine
    erez.refresh_from_db()
    assert erez.status == "unsubscribed"
    assert Event.objects.filter(kind="subscriber.unsubscribed").count() == 1


def bad_tokens(erez: Subscriber) -> list[str]:
    good = services.manage_token(erez)
    return [
        good[:-2] + ("aa" if not good.endswith("aa") else "bb"),  # tampered signature
        good.replace(good.split(":")[0], signing.b64_encode(b'"s:aaaaaaaaaaaa"').decode()),
        services.confirm_token(erez),  # another kind of token
        signing.dumps("s:nobody000000", salt="another.salt"),
        "nonsense",
        "%00%ff",
    ]


def test_a_tampered_or_foreign_token_is_refused_without_a_hint(client, erez):
    for token in bad_tokens(erez):
        for method, path in (
            ("get", f"/unsubscribe/{token}"),
            ("post", f"/unsubscribe/{token}"),
            ("get", f"/subscriptions/{token}"),
            ("post", f"/subscriptions/{token}"),
        ):
            r = getattr(client, method)(path, {"language": "he"} if method == "post" else None)
            assert r.status_code == 400, (method, path)
            page = r.content.decode()
            assert "This link is not valid" in page and "erez@example.com" not in page
    unknown = unsubscribe_token(subscriber_id="nobody000000")
    r = client.get(f"/unsubscribe/{unknown}")
    assert r.status_code == 400 and "no longer valid" in r.content.decode()
    for token in (services.manage_token(erez), "x:y:z", "nonsense"):
        r = client.get(f"/subscriptions/confirm/{token}")
        assert r.status_code == 400
    erez.refresh_from_db()
    assert erez.status == "active" and erez.language == "en"


def test_the_manage_page_changes_language_and_components(client, erez, catalog):
    path = f"/subscriptions/{services.manage_token(erez)}"
    page = client.get(path).content.decode()
    assert "erez@example.com" in page
    assert 'value="all" required id="id_scope_0" checked' in page  # as he subscribed
    r = client.post(path, {"language": "he", "scope": "some", "components": [catalog["Website"]]})
    assert r.status_code == 302 and r.headers["Location"] == f"{path}?saved=1"
    erez.refresh_from_db()
    assert erez.language == "he" and not erez.all_components
    assert list(erez.components.values_list("public_id", flat=True)) == [catalog["Website"]]
    event = Event.objects.get(kind="subscriber.preferences_changed")
    assert event.data["fields"] == ["language", "components"]
    saved = client.get(f"{path}?saved=1").content.decode()
    assert 'dir="rtl"' in saved and "הבחירות שלכם נשמרו" in saved

    r = client.post(path, {"language": "en", "scope": "some"})
    assert r.status_code == 400
    assert "בחרו לפחות רכיב אחד" in r.content.decode()  # still in Hebrew: his language
    client.post(path, {"language": "en", "scope": "all"})
    erez.refresh_from_db()
    assert erez.all_components and not erez.components.exists() and erez.language == "en"


def test_a_subscriber_to_some_components_hears_only_about_those(
    now, notify_settings, catalog, outage
):
    website = Component.objects.get(public_id=catalog["Website"])
    with transaction.atomic():
        narrow = services.subscribe(
            channel="webhook", target="https://hooks.example.com/web",
            component_ids=[website.public_id],
        ).subscriber  # fmt: skip
        broad = services.subscribe(channel="webhook", target="https://hooks.example.com/all")
        incidents.post_update(actor="dana", incident=outage, status="identified", body="Found it.")
    assert not Delivery.objects.filter(subscriber=narrow).exists()
    assert Delivery.objects.filter(subscriber=broad.subscriber).count() == 1
    with transaction.atomic():
        manage.update_preferences(
            token=services.manage_token(narrow), language="en", all_components=False,
            component_ids=[website.public_id, catalog["API"]],
        )  # fmt: skip
        incidents.post_update(actor="dana", incident=outage, status="monitoring", body="Fixed.")
    assert Delivery.objects.filter(subscriber=narrow).count() == 1


def test_a_customer_contact_unsubscribes_from_one_channel(client, now):
    globex = Customer.objects.create(name="Globex")
    noa = Contact.objects.create(customer=globex, name="Noa", email="noa@globex.example",
                                 phone="+972501111111", channels=["email", "sms"])  # fmt: skip
    sam = Contact.objects.create(customer=globex, name="Sam", email="sam@globex.example")
    r = client.post(f"/unsubscribe/{unsubscribe_token(contact_id=noa.pk)}")
    assert r.status_code == 200
    noa.refresh_from_db()
    assert noa.channels == ["sms"]
    client.post(f"/unsubscribe/{unsubscribe_token(contact_id=sam.pk)}")
    sam.refresh_from_db()
    assert sam.channels == ["none"]  # an empty list would mean "email"
    events = Event.objects.filter(kind="contact.unsubscribed").order_by("id")
    assert [e.subject_id for e in events] == [str(noa.pk), str(sam.pk)]
    page = client.get(f"/subscriptions/{unsubscribe_token(contact_id=sam.pk)}").content.decode()
    assert "You are unsubscribed" in page and 'name="scope"' not in page
    sms = signing.dumps(f"c:{noa.pk}:sms", salt=UNSUBSCRIBE_SALT)
    client.post(f"/unsubscribe/{sms}")
    noa.refresh_from_db()
    assert noa.channels == ["none"]
