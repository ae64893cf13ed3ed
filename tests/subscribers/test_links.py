"""Manage links expire (unsubscribing does not), and a webhook URL subscribed again keeps the
secret its owner verifies with: a stranger never learns it; the owner gets a new one through
the manage link."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client

from tests.conftest import NOW
from tidings.core import clock
from tidings.notify.ledger import unsubscribe_token
from tidings.subscribers import manage, services
from tidings.subscribers.models import Subscriber

pytestmark = pytest.mark.django_db
A_YEAR = timedelta(days=365)


@pytest.fixture
def erez(now) -> Subscriber:
    with transaction.atomic():
        sub = services.subscribe(channel="email", target="erez@example.com").subscriber
        return services.confirm(token=services.confirm_token(sub))


def test_the_manage_page_says_until_when_its_link_works(client, erez):
    page = client.get(f"/subscriptions/{services.manage_token(erez)}").content.decode()
    assert "until 2027-11-23" in page
    he = client.get(f"/subscriptions/{services.manage_token(erez)}?lang=he").content.decode()
    assert "2027-11-23" in he and 'dir="rtl"' in he


def test_a_manage_link_older_than_a_year_no_longer_shows_or_changes_anything(client, erez):
    token = services.manage_token(erez)
    with clock.frozen(NOW + A_YEAR + timedelta(seconds=1)):
        r = client.get(f"/subscriptions/{token}")
        assert r.status_code == 400
        page = r.content.decode()
        assert "more than 365 days old" in page and "erez@example.com" not in page
        assert f'action="/unsubscribe/{token}"' in page  # it can still unsubscribe
        api = client.get(f"/api/v1/subscriptions/{token}")
        assert api.status_code == 400 and "more than 365 days old" in api.json()["detail"]
        patch = client.patch(
            f"/api/v1/subscriptions/{token}", {"language": "he"}, content_type="application/json"
        )
        assert patch.status_code == 400
        assert client.post(f"/subscriptions/{token}", {"language": "he"}).status_code == 400
        erez.refresh_from_db()
        assert erez.language == "en"
        # ...but the unsubscribe link in a year-old mail still stops the mail.
        assert client.delete(f"/api/v1/subscriptions/{token}").status_code == 200
    erez.refresh_from_db()
    assert erez.status == "unsubscribed"


def test_the_lifetime_is_a_setting_and_zero_means_no_limit(client, erez):
    from tidings.config import overridden

    token = services.manage_token(erez)
    with clock.frozen(NOW + timedelta(days=31)):
        with overridden(manage_link_days=30):
            assert client.get(f"/subscriptions/{token}").status_code == 400
        with overridden(manage_link_days=0):
            page = client.get(f"/subscriptions/{token}")
            assert page.status_code == 200 and "until" not in page.content.decode()


def test_links_the_delivery_ledger_makes_are_read_the_same_way(client, erez):
    token = unsubscribe_token(subscriber_id=erez.public_id)
    assert client.get(f"/subscriptions/{token}").status_code == 200
    assert manage.holder(token=token).subscriber == erez


def subscribe_webhook(url: str) -> str:
    r = Client().post(
        "/api/v1/subscriptions", {"channel": "webhook", "target": url},
        content_type="application/json",
    )  # fmt: skip
    assert r.status_code == 202, r.content
    return str(r.json()["secret"])


def test_a_stranger_resubscribing_an_unsubscribed_webhook_does_not_learn_its_secret(now):
    url = "https://hooks.acme.test/status"
    owners = subscribe_webhook(url)
    sub = Subscriber.objects.get()
    assert sub.secret == owners
    with transaction.atomic():
        manage.unsubscribe(token=services.manage_token(sub))

    strangers = subscribe_webhook(url)
    sub.refresh_from_db()
    assert sub.status == "active"  # as any URL may be subscribed by anyone
    assert strangers != owners and sub.secret == owners  # the owner's verification still holds
    body = b'{"incident": {}}'
    forged = hmac.new(strangers.encode(), b"1." + body, hashlib.sha256).hexdigest()
    genuine = hmac.new(sub.secret.encode(), b"1." + body, hashlib.sha256).hexdigest()
    assert forged != genuine


def test_the_owner_gets_a_new_secret_through_the_manage_link(now, client):
    subscribe_webhook("https://hooks.acme.test/status")
    sub = Subscriber.objects.get()
    old = sub.secret
    token = services.manage_token(sub)
    page = client.get(f"/subscriptions/{token}").content.decode()
    assert "Issue a new signing secret" in page
    page = client.post(f"/subscriptions/{token}", {"new_secret": "1"}).content.decode()
    sub.refresh_from_db()
    assert sub.secret != old and sub.secret in page
    r = client.post(f"/api/v1/subscriptions/{token}/secret")
    assert r.status_code == 200
    sub.refresh_from_db()
    assert r.json()["secret"] == sub.secret
    assert client.get(f"/subscriptions/{token}").content.decode().count(sub.secret) == 0


def test_only_a_webhook_has_a_secret_to_renew(client, erez):
    token = services.manage_token(erez)
    r = client.post(f"/api/v1/subscriptions/{token}/secret")
    assert r.status_code == 422 and "Only webhook" in r.json()["detail"]
    r = client.post(f"/subscriptions/{token}", {"new_secret": "1"})
    assert r.status_code == 400 and "Only webhook" in r.content.decode()
