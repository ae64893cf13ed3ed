"""The public subscriptions API: the same use cases as JSON, with no API token."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from tidings.notify.models import Delivery
from tidings.subscribers import services
from tidings.subscribers.models import Subscriber

pytestmark = pytest.mark.django_db


def post(client, body):
    return client.post("/api/v1/subscriptions", body, content_type="application/json")


@pytest.fixture
def client():
    """A client like any script's: no session, and CSRF checks as in production."""
    return Client(enforce_csrf_checks=True)


def test_subscribing_through_the_api_needs_no_token_and_reveals_nothing(now, client, catalog):
    body = {"channel": "email", "target": "erez@example.com", "components": [catalog["API"]]}
    first, again = post(client, body), post(client, {**body, "target": "Erez@example.com"})
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json() == post(client, {**body, "target": "x@example.com"}).json()
    assert first.json()["secret"] is None
    erez = Subscriber.objects.get(target="erez@example.com")
    assert erez.status == "pending" and not erez.all_components
    assert Delivery.objects.filter(subscriber=erez, message__kind="confirm").count() == 1


def test_bad_input_is_a_422_with_the_reason(client, catalog):
    r = post(client, {"channel": "email", "target": "nope"})
    assert r.status_code == 422 and "is not an email address" in r.json()["detail"]
    r = post(client, {"channel": "email", "target": "erez@example.com", "components": ["zzz"]})
    assert r.status_code == 422 and "do not exist" in r.json()["detail"]
    r = post(client, {"channel": "email", "target": "erez@example.com", "language": "fr"})
    assert r.status_code == 422
    r = post(client, {"channel": "email"})
    assert r.status_code == 422 and "target" in r.json()["detail"]
    assert not Subscriber.objects.exists()


def test_a_webhook_gets_its_secret_once(client, notify_settings):
    r = post(client, {"channel": "webhook", "target": "https://hooks.example.com/x"})
    assert r.status_code == 202
    assert r.json()["secret"] == Subscriber.objects.get().secret


def test_the_token_shows_changes_and_ends_a_subscription(now, client, catalog):
    with transaction.atomic():
        sub = services.subscribe(channel="email", target="erez@example.com").subscriber
    path = f"/api/v1/subscriptions/{services.manage_token(sub)}"
    assert client.get(path).json()["status"] == "pending"
    r = client.patch(path, {"language": "he", "all_components": False,
                            "components": [catalog["Docs"]]}, content_type="application/json")  # fmt: skip
    assert r.status_code == 200
    assert r.json()["language"] == "he" and r.json()["components"] == [catalog["Docs"]]
    r = client.delete(path)
    assert r.status_code == 200
    sub.refresh_from_db()
    assert sub.status == "unsubscribed"


def test_a_tampered_token_is_a_400(client):
    for method in ("get", "delete"):
        r = getattr(client, method)("/api/v1/subscriptions/abc:def:ghi")
        assert r.status_code == 400 and r.json()["detail"] == "This link is not valid."
