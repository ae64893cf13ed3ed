"""The subscribe form: Erez signs up from the status page in English or Hebrew; what he types
wrong is explained; whether an address is subscribed already is never revealed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from tests.conftest import published
from tidings.config import overridden
from tidings.core import clock
from tidings.core.models import Event
from tidings.notify.models import Delivery
from tidings.statuspage import snapshot
from tidings.subscribers import manage, services
from tidings.subscribers.models import Subscriber

pytestmark = pytest.mark.django_db


def form(channel, target, **extra):
    return {"channel": channel, "target": target, "language": "en", "scope": "all", **extra}


def test_the_form_speaks_english_or_hebrew_right_to_left(client, catalog):
    en = client.get("/subscribe").content.decode()
    assert '<html lang="en" dir="ltr">' in en and "Subscribe to updates" in en
    assert 'name="csrfmiddlewaretoken"' in en and 'value="Website"' not in en
    assert catalog["Website"] in en and ">Core<" in en  # components, in their groups
    he = client.get("/subscribe?lang=he").content.decode()
    assert '<html lang="he" dir="rtl">' in he and "הרשמה לעדכונים" in he
    by_header = client.get("/subscribe", HTTP_ACCEPT_LANGUAGE="he-IL,he;q=0.9")
    assert 'dir="rtl"' in by_header.content.decode()
    assert by_header.headers["Content-Language"] == "he"


def test_the_status_page_links_to_the_form(now, site_settings, catalog):
    published(site_settings)
    loaded = snapshot.load(site_settings.snapshot_dir)
    assert loaded is not None
    assert 'href="/subscribe?lang=en"' in loaded.entries["/"].body.decode()
    assert 'href="/subscribe?lang=he"' in loaded.entries["/he/"].body.decode()


def test_the_form_is_protected_against_cross_site_posts(catalog):
    from django.test import Client

    r = Client(enforce_csrf_checks=True).post("/subscribe", form("email", "erez@example.com"))
    assert r.status_code == 403
    assert not Subscriber.objects.exists()


#: Targets the form refuses, each with the words of its reason in English and in Hebrew.
BAD_TARGETS = [
    ("email", "erez-at-example.com", "is not an email address", "אינה כתובת דוא&quot;ל"),
    ("sms", "054-123-4567", "has no country code", "אין קידומת מדינה"),
    ("sms", "call me", "is not a phone number", "אינו מספר טלפון"),
    ("webhook", "http://127.0.0.1:8080/hook", "private networks are not allowed",
     "אסור להשתמש בכתובות ברשת מקומית או פרטית"),
    ("webhook", "http://10.0.0.7/hook", "private networks are not allowed",
     "אסור להשתמש בכתובות ברשת מקומית או פרטית"),
    ("webhook", "ftp://hooks.example.com/x", "must start with https://",
     "הכתובת חייבת להתחיל ב-https://"),
    ("apprise", "mailto://user:pw@example.com", "choose the email channel",
     "בחרו בערוץ הדוא״ל"),
    ("telegram", "my chat", "is neither", "אינו אף אחד מהם"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("channel", "target", "reason"),
    [(channel, target, en) for channel, target, en, _ in BAD_TARGETS],
)
def test_a_bad_target_is_explained_and_nothing_is_written(
    client, notify_settings, channel, target, reason
):
    with overridden(allow_private_targets=False):
        r = client.post("/subscribe", form(channel, target))
    assert r.status_code == 400
    page = r.content.decode()
    assert reason in page
    assert f'value="{target}"' in page  # what Erez typed is still there to correct
    assert not Subscriber.objects.exists() and not Delivery.objects.exists()
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("channel", "target", "reason"),
    [(channel, target, he) for channel, target, _, he in BAD_TARGETS],
)
def test_the_reason_speaks_the_page_language(client, notify_settings, channel, target, reason):
    with overridden(allow_private_targets=False):
        r = client.post("/subscribe?lang=he", form(channel, target, language="he"))
    assert r.status_code == 400
    page = r.content.decode()
    assert reason in page, page
    assert "is not" not in page and "not allowed" not in page  # no English left in the reason


def test_choosing_some_components_means_choosing_at_least_one(client, catalog):
    r = client.post("/subscribe", form("email", "erez@example.com", scope="some"))
    assert r.status_code == 400
    assert "Choose at least one component" in r.content.decode()
    r = client.post("/subscribe", form("pigeon", "erez@example.com"))
    assert r.status_code == 400 and "Select a valid choice" in r.content.decode()
    assert not Subscriber.objects.exists()


def test_subscribing_again_gives_the_same_answer_and_reveals_nothing(now, client, catalog):
    first = client.post("/subscribe", form("email", "erez@example.com"))
    again = client.post("/subscribe", form("email", "ERez@example.com"))
    never_seen = client.post("/subscribe", form("email", "noa@example.com"))
    assert first.status_code == again.status_code == never_seen.status_code == 200
    assert first.content == again.content == never_seen.content
    erez = Subscriber.objects.get(target="erez@example.com")
    assert Delivery.objects.filter(subscriber=erez).count() == 1  # no second mail at once

    with clock.frozen(now + timedelta(minutes=11)):  # still pending: a fresh link
        assert client.post("/subscribe", form("email", "erez@example.com")).content == first.content
    assert Delivery.objects.filter(subscriber=erez).count() == 2

    erez.status = "active"
    erez.save()
    with clock.frozen(now + timedelta(hours=1)):  # active: the same page, and nothing is sent
        r = client.post("/subscribe", form("email", "erez@example.com", scope="some",
                                           components=[catalog["Docs"]], language="he"))  # fmt: skip
        assert r.content.replace(b"?lang=he", b"") == first.content.replace(b"?lang=he", b"")
    erez.refresh_from_db()
    assert Delivery.objects.filter(subscriber=erez).count() == 2
    assert erez.all_components and erez.language == "en"  # a stranger cannot change it
    assert Subscriber.objects.count() == 2


def test_an_unsubscribed_address_can_subscribe_again(now, client):
    with transaction.atomic():
        sub = services.subscribe(channel="email", target="erez@example.com").subscriber
        manage.unsubscribe(token=services.manage_token(sub))
    with clock.frozen(now + timedelta(minutes=11)):
        client.post("/subscribe", form("email", "erez@example.com", language="he"))
    sub.refresh_from_db()
    assert (sub.status, sub.language, sub.unsubscribed_at) == ("pending", "he", None)
    assert Delivery.objects.filter(subscriber=sub).count() == 2


def test_a_webhook_is_active_at_once_and_its_secret_is_shown_once(now, client, notify_settings):
    r = client.post("/subscribe", form("webhook", "https://hooks.example.com/acme"))
    assert r.status_code == 200
    hook = Subscriber.objects.get()
    assert hook.status == "active" and hook.confirmed_at == now
    assert hook.secret in r.content.decode()
    again = client.post("/subscribe", form("webhook", "https://hooks.example.com/acme"))
    assert again.status_code == 200
    hook.refresh_from_db()
    assert hook.secret not in again.content.decode()  # a stranger never learns the secret
    assert len(again.content) == len(r.content)  # and the page looks the same
    assert not Delivery.objects.exists()


def test_phone_and_chat_subscriptions_are_active_at_once(now, notify_settings):
    with transaction.atomic():
        sms = services.subscribe(channel="sms", target="+972 54-123-4567").subscriber
        chat = services.subscribe(channel="telegram", target="-1001234567890").subscriber
    assert (sms.target, sms.status) == ("+972541234567", "active")
    assert chat.status == "active"
    assert not Delivery.objects.exists()


def test_channels_this_installation_cannot_send_through_are_not_offered(client, site_settings):
    page = client.get("/subscribe").content.decode()
    assert 'value="email"' in page and 'value="sms"' not in page
    r = client.post("/subscribe", form("sms", "+972541234567"))
    assert r.status_code == 400 and not Subscriber.objects.exists()


def test_one_network_may_ask_only_so_often(now, client, notify_settings):
    from django.test import Client

    from tidings.core import throttle

    with overridden(subscribe_limit_per_hour=3):
        for n in range(3):
            assert (
                client.post("/subscribe", form("email", f"erez{n}@example.com")).status_code == 200
            )
        r = client.post("/subscribe?lang=he", form("email", "bot@example.com"))
        assert r.status_code == 429
        assert "יותר מדי בקשות הרשמה" in r.content.decode()
        api = client.post("/api/v1/subscriptions", {"channel": "email", "target": "bot2@example.com"},
                          content_type="application/json")  # fmt: skip
        assert api.status_code == 429 and "Too many subscription requests" in api.json()["detail"]
        assert not Subscriber.objects.filter(target__startswith="bot").exists()

        elsewhere = Client(REMOTE_ADDR="203.0.113.9")
        assert elsewhere.post("/subscribe", form("email", "noa@example.com")).status_code == 200
        with clock.frozen(now + timedelta(hours=1)):  # a new hour
            assert client.post("/subscribe", form("email", "dan@example.com")).status_code == 200
    assert Subscriber.objects.count() == 5
    assert throttle.forget_old(now + timedelta(days=2)) == 3  # three windows, no addresses kept


def test_behind_a_proxy_the_address_it_saw_counts():
    from django.test import RequestFactory

    from tidings.core.throttle import client_address

    request = RequestFactory().post(
        "/subscribe", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7"
    )
    assert client_address(request, 0) == "10.0.0.2"
    assert client_address(request, 1) == "198.51.100.7"  # not what the client wrote itself
    assert client_address(request, 3) == "10.0.0.2"  # fewer hops than proxies: not believed
