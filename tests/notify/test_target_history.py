"""One target's story and every stopped target: what Erez was told and when, and why the last
message never reached him; a bad address disabled by staff with a reason and enabled again;
every disabled subscriber and contact channel listed with its customer. Through the real
worker and SMTP and HTTP servers on loopback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from tests.notify.kit import drain, subscriber
from tidings.core import clock
from tidings.customers.models import Contact, Customer
from tidings.incidents import services
from tidings.notify import services as notify
from tidings.notify.models import Delivery
from tidings.subscribers.models import Subscriber

pytestmark = pytest.mark.django_db(transaction=True)


def declare():
    with transaction.atomic():
        return services.create_incident(
            actor="dana", title={"en": "Elevated API errors", "he": "שגיאות מוגברות ב-API"},
            body={"en": "Some API calls fail.", "he": "חלק מהקריאות נכשלות."},
        )  # fmt: skip


def post(incident, body, status="identified"):
    with transaction.atomic():
        return services.post_update(actor="dana", incident=incident, status=status, body=body)


@pytest.fixture
def initech(db):
    customer = Customer.objects.create(name="Initech", plan="enterprise")
    return Contact.objects.create(
        customer=customer, name="Bill Lumbergh", email="bill@initech.test", phone="+972521112233",
        channels=["email", "sms"],
    )  # fmt: skip


def test_a_subscribers_history_says_what_he_was_told_when_and_why_not(
    now, notify_settings, smtp_sink, api, catalog
):
    erez = subscriber("email", "erez@example.com", language="he")
    outage = declare()
    drain(notify_settings)  # the incident's first update
    with clock.frozen(now + timedelta(minutes=20)):
        post(outage, "We found the cause: a failed database node.")
        smtp_sink.replies["erez@example.com"] = "550 5.1.1 <erez@example.com>: User unknown"
        drain(notify_settings)
    r = api.call("GET", f"/subscribers/{erez.public_id}/deliveries")
    assert r.status_code == 200, r.content
    history = r.json()
    assert history["total"] == 2
    newest, first = history["items"]
    assert newest["status"] == "dead" and newest["update_status"] == "identified"
    assert newest["excerpt"] == "We found the cause: a failed database node."
    assert newest["reason"] == (
        "the address is refused, target disabled: 550 5.1.1 <e***@example.com>: User unknown"
    )
    assert newest["incident_title"] == "שגיאות מוגברות ב-API"  # as he was told: in Hebrew
    assert first["excerpt"] == "חלק מהקריאות נכשלות."
    assert first["status"] == "sent" and first["sent_at"].startswith("2026-11-23T12:00")
    assert first["reason"] == "accepted by the receiving server"
    erez.refresh_from_db()
    assert erez.status == "disabled"


def test_staff_disable_a_bad_address_with_a_reason_and_its_queued_messages_stop(
    now, notify_settings, api, outage
):
    erez = subscriber("email", "erez@exmaple.com")  # a typo, reported by phone
    r = api.call("POST", f"/subscribers/{erez.public_id}/disable", {"reason": ""})
    assert r.status_code == 422
    r = api.call("POST", f"/subscribers/{erez.public_id}/disable",
                 {"reason": "typo in the domain, customer called"})  # fmt: skip
    assert r.status_code == 200, r.content
    erez.refresh_from_db()
    assert (erez.status, erez.disabled_reason) == (
        "disabled",
        "typo in the domain, customer called",
    )
    post(outage, "Still working on it.")
    assert not Delivery.objects.filter(subscriber=erez, status="queued").exists()

    fixed = api.call("PATCH", f"/subscribers/{erez.public_id}", {"target": "erez@example.com"})
    assert fixed.status_code == 200 and fixed.json()["status"] == "disabled"
    enabled = api.call("POST", f"/subscribers/{erez.public_id}/enable")
    assert enabled.status_code == 200
    erez.refresh_from_db()
    assert erez.status == "active" and erez.disabled_reason == ""


def test_a_contact_channel_is_disabled_and_enabled_by_staff_and_its_history_kept(
    now, notify_settings, lead_api, outage, initech, catalog
):
    api = lead_api  # contacts are changed by admins, support and account managers
    initech.customer.components.add(*_api_component(catalog))
    post(outage, "An update for customers.")
    assert Delivery.objects.filter(contact=initech, status="queued").count() == 2
    r = api.call("POST", f"/contacts/{initech.pk}/disable",
                 {"channel": "sms", "reason": "the number belongs to someone else now"})  # fmt: skip
    assert r.status_code == 200, r.content
    initech.refresh_from_db()
    assert initech.channels == ["email"]
    shown = api.call("GET", f"/customers/{initech.customer.public_id}/contacts/{initech.pk}").json()
    assert shown["disabled"]["sms"]["reason"] == "the number belongs to someone else now"
    assert initech.disabled["sms"]["reason"] == "the number belongs to someone else now"
    assert initech.disabled["sms"]["by"] == "rina"
    drain(notify_settings)
    told = api.call("GET", f"/contacts/{initech.pk}/deliveries").json()
    by_channel = {t["channel"]: t for t in told["items"]}
    assert by_channel["email"]["status"] == "sent"
    assert by_channel["sms"]["status"] == "cancelled"
    assert by_channel["sms"]["reason"] == (
        "cancelled: target disabled (the number belongs to someone else now)"
    )
    only_sms = api.call("GET", f"/contacts/{initech.pk}/deliveries?channel=sms").json()
    assert only_sms["total"] == 1
    again = api.call("POST", f"/contacts/{initech.pk}/disable", {"channel": "sms", "reason": "x"})
    assert again.status_code == 422
    assert api.call("POST", f"/contacts/{initech.pk}/enable", {"channel": "sms"}).status_code == 200
    initech.refresh_from_db()
    assert initech.channels == ["email", "sms"] and "sms" not in initech.disabled


def _api_component(catalog):
    from tidings.components.models import Component

    return list(Component.objects.filter(public_id=catalog["API"]))


def test_every_disabled_target_is_listed_with_its_customer_reason_time_and_who(
    now, notify_settings, smtp_sink, api, catalog, initech
):
    gone = subscriber("email", "gone@example.com")
    smtp_sink.replies["gone@example.com"] = "550 5.1.1 <gone@example.com>: User unknown"
    declare()
    drain(notify_settings)
    later = now + timedelta(minutes=5)
    with clock.frozen(later), transaction.atomic():
        notify.disable_contact_channel(
            actor="dana",
            contact_id=initech.pk,
            channel="email",
            reason="bounces, per Bill's assistant",
        )
    listed = api.call("GET", "/disabled").json()
    assert listed["total"] == 2
    contact, sub = listed["items"]  # newest first
    assert contact == {
        "kind": "contact", "target_id": str(initech.pk), "channel": "email",
        "target": "b***@initech.test", "name": "Bill Lumbergh", "customer_id": initech.customer.public_id,
        "customer_name": "Initech", "reason": "bounces, per Bill's assistant",
        "disabled_at": "2026-11-23T12:05:00Z", "disabled_by": "dana",
    }  # fmt: skip
    assert sub["kind"] == "subscriber" and sub["target"] == "g***@example.com"
    assert sub["reason"] == "550 5.1.1 <g***@example.com>: User unknown"
    assert sub["disabled_by"] == "notifier" and sub["target_id"] == gone.public_id
    assert "gone@example.com" not in str(listed)
    assert api.call("GET", "/disabled?q=initech").json()["total"] == 1
    assert api.call("GET", "/disabled?channel=sms").json()["total"] == 0
    api.call("POST", f"/subscribers/{gone.public_id}/enable")
    assert api.call("GET", "/disabled").json()["total"] == 1
    assert Subscriber.objects.get(pk=gone.pk).status == "active"
