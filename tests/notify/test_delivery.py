"""An update reaches subscribers and customers through real SMTP and HTTP on loopback."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
from email import policy

import pytest
from django.db import transaction
from django.test import Client

from tests.notify.kit import drain, subscriber, update_and_deliver
from tidings.config import overridden
from tidings.core.models import Event
from tidings.customers.models import Contact, Customer
from tidings.incidents import services
from tidings.notify.models import Delivery

# Workers use their own database connection, as in production, so the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


def test_an_update_is_delivered_by_email_and_webhook(
    now, notify_settings, smtp_sink, http_sink, catalog, outage
):
    from tidings.components.models import Component

    api = Component.objects.get(public_id=catalog["API"])
    website = Component.objects.get(public_id=catalog["Website"])
    subscriber("email", "erez@example.com")
    subscriber("email", "noa@example.com", language="he", components=[api])
    subscriber("email", "web-only@example.com", components=[website])  # not affected
    hook = subscriber("webhook", f"{http_sink.url}/hooks/acme", secret="s3cret")
    with transaction.atomic():
        services.post_update(
            actor="dana",
            incident=outage,
            status="identified",
            body={"en": "We found the cause.", "he": "מצאנו את הסיבה."},
        )
    queued = Delivery.objects.filter(status="queued")
    assert queued.count() == 3  # the website-only subscriber is not affected by an API incident
    stats = drain(notify_settings)
    assert stats["sent"] == 3
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}

    by_rcpt = {
        m.recipients[0]: email.message_from_bytes(m.data, policy=policy.default)
        for m in smtp_sink.mails
    }
    assert set(by_rcpt) == {"erez@example.com", "noa@example.com"}
    en, he = by_rcpt["erez@example.com"], by_rcpt["noa@example.com"]
    assert en["Subject"] == "[Acme] Elevated API errors: Identified"
    # Hebrew readers get the Hebrew title (the fixture's incident is titled in both languages).
    assert he["Subject"].startswith("[Acme] שגיאות מוגברות ב-API: ")
    assert "We found the cause." in en.get_body(("plain",)).get_content()
    assert "מצאנו את הסיבה." in he.get_body(("html",)).get_content()
    assert 'dir="rtl"' in he.get_body(("html",)).get_content()
    assert en["List-Unsubscribe"].startswith("<https://status.acme.test/unsubscribe/")
    assert en["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert en["List-Unsubscribe"] != he["List-Unsubscribe"]  # a link per recipient
    # The manage link in the mail opens that subscriber's own preferences page.
    text = en.get_body(("plain",)).get_content()
    [manage] = [ln.split(": ", 1)[1] for ln in text.splitlines() if ln.startswith("Manage")]
    assert manage.startswith("https://status.acme.test/subscriptions/")
    page = Client().get(manage.removeprefix("https://status.acme.test"))
    assert page.status_code == 200 and "erez@example.com" in page.content.decode()
    assert "{{" not in text and "{{" not in he.get_body(("html",)).get_content()

    [req] = http_sink.requests
    assert req.path == "/hooks/acme"
    payload = json.loads(req.body)
    assert payload["incident"]["id"] == outage.public_id
    assert payload["incident"]["incident_updates"][0]["body"] == "We found the cause."
    assert payload["page"]["status_indicator"] == "major"
    assert payload["meta"]["unsubscribe"].startswith("https://status.acme.test/unsubscribe/")
    t, mac = req.headers["X-Tidings-Signature"].split(",")
    expected = hmac.new(b"s3cret", t[2:].encode() + b"." + req.body, hashlib.sha256).hexdigest()
    assert mac == f"sha256={expected}"
    assert req.headers["Idempotency-Key"].startswith("tidings-")
    assert hook.pk


def test_customer_contacts_of_affected_customers_are_told(
    now, notify_settings, smtp_sink, catalog, outage
):
    from tidings.components.models import Component

    acme = Customer.objects.create(name="Globex", strategic=True)
    acme.components.set([Component.objects.get(public_id=catalog["API"])])
    other = Customer.objects.create(name="Initech")
    other.components.set([Component.objects.get(public_id=catalog["Email"])])
    Contact.objects.create(
        customer=acme, name="Noa", email="Noa@Globex.example", language="he", channels=["email"]
    )
    Contact.objects.create(customer=other, name="Sam", email="sam@initech.example")
    update_and_deliver(outage, notify_settings, body="Found it.")
    assert [m.recipients for m in smtp_sink.mails] == [["noa@globex.example"]]


def test_a_hard_bounce_disables_the_subscriber_and_a_soft_one_retries(
    now, notify_settings, smtp_sink, catalog, outage
):
    bad = subscriber("email", "gone@example.com")
    soft = subscriber("email", "full@example.com")
    smtp_sink.reject.add("gone@example.com")
    smtp_sink.busy.add("full@example.com")
    update_and_deliver(outage, notify_settings)
    bad.refresh_from_db()
    soft.refresh_from_db()
    assert bad.status == "disabled" and "550" in bad.disabled_reason
    assert Delivery.objects.get(subscriber=bad).status == "dead"
    retry = Delivery.objects.get(subscriber=soft)
    assert retry.status == "queued" and retry.next_attempt_at > now and retry.attempts == 1
    assert soft.status == "active"


def test_a_gone_webhook_is_disabled_and_a_failing_one_is_retried(
    now, notify_settings, http_sink, catalog, outage
):
    http_sink.responses["/gone"] = 410
    http_sink.responses["/down"] = 503
    gone = subscriber("webhook", f"{http_sink.url}/gone")
    down = subscriber("webhook", f"{http_sink.url}/down")
    update_and_deliver(outage, notify_settings)
    gone.refresh_from_db()
    down.refresh_from_db()
    assert gone.status == "disabled" and "410" in gone.disabled_reason
    assert down.status == "active"
    assert Delivery.objects.get(subscriber=down).status == "queued"


def test_nothing_is_sent_for_internal_incidents_or_audience_none(
    now, notify_settings, smtp_sink, catalog, outage
):
    subscriber("email", "erez@example.com")
    with transaction.atomic():
        services.post_update(
            actor="dana", incident=outage, status="identified", body="quiet", audience="none"
        )
        services.create_incident(actor="dana", title="Drill", body="drill", visibility="internal")
    assert Delivery.objects.count() == 0


def test_a_rolled_back_update_leaves_no_deliveries(now, notify_settings, catalog, outage):
    subscriber("email", "erez@example.com")
    try:
        with transaction.atomic():
            services.post_update(actor="dana", incident=outage, status="identified", body="x")
            assert Delivery.objects.count() == 1
            raise RuntimeError("the request failed after the update")
    except RuntimeError:
        pass
    assert Delivery.objects.count() == 0


def test_one_person_reached_two_ways_gets_one_message_and_fan_out_is_idempotent(
    now, notify_settings, catalog, outage
):
    from tidings.components.models import Component
    from tidings.notify.fanout import fan_out

    acme = Customer.objects.create(name="Globex")
    acme.components.set([Component.objects.get(public_id=catalog["API"])])
    Contact.objects.create(customer=acme, name="Noa", email="noa@globex.example", language="he")
    subscriber("email", "noa@globex.example", language="en")  # also subscribed herself, in English
    subscriber("email", "erez@example.com")
    with transaction.atomic():
        update = services.post_update(actor="dana", incident=outage, status="identified", body="x")
    assert sorted(Delivery.objects.values_list("target", flat=True)) == [
        "erez@example.com",
        "noa@globex.example",
    ]
    assert (
        Delivery.objects.get(target="noa@globex.example").contact is not None
    )  # the account view wins
    with transaction.atomic():
        assert fan_out(update, "affected") == 0  # a second run adds nothing
    assert Delivery.objects.count() == 2


def test_a_component_change_outside_an_incident_reaches_its_subscribers(
    now, notify_settings, smtp_sink, http_sink, catalog
):
    from tidings.components import services as components
    from tidings.components.models import Component

    api = Component.objects.get(public_id=catalog["API"])
    subscriber("email", "api-watcher@example.com", components=[api])
    subscriber(
        "email",
        "web-watcher@example.com",
        components=[Component.objects.get(public_id=catalog["Website"])],
    )
    subscriber("webhook", f"{http_sink.url}/hooks/c", secret="k")
    with transaction.atomic():
        components.set_status(actor="dana", component=api, status="partial_outage")
    drain(notify_settings)
    [mail] = smtp_sink.mails
    assert mail.recipients == ["api-watcher@example.com"]
    body = (
        email.message_from_bytes(mail.data, policy=policy.default)
        .get_body(("plain",))
        .get_content()
    )
    assert "API is now: Partial outage (was: Operational)." in body
    [req] = http_sink.requests
    payload = json.loads(req.body)
    assert "incident" not in payload
    assert (
        payload["component"]["id"] == catalog["API"]
        and payload["component"]["status"] == "partial_outage"
    )
    assert payload["component_update"]["old_status"] == "operational"
    assert payload["component_update"]["new_status"] == "partial_outage"


def test_component_changes_made_by_an_update_are_told_once_through_the_update(
    now, notify_settings, smtp_sink, catalog, outage
):
    subscriber("email", "erez@example.com")
    update_and_deliver(
        outage,
        notify_settings,
        status="monitoring",
        body="Fixed.",
        components={catalog["API"]: "operational"},
    )
    assert len(smtp_sink.mails) == 1


def test_a_webhook_that_stays_unreachable_is_disabled_after_three_updates(
    now, notify_settings, http_sink, catalog, outage
):
    from tests.ports import free_port

    closed = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    down = subscriber("webhook", closed)
    flaky = subscriber("webhook", f"{http_sink.url}/flaky")
    calls = iter([503, 503, 200, 503, 503, 503])
    http_sink.responses["/flaky"] = lambda _req: next(calls)
    with overridden(delivery_max_attempts=1) as settings:
        for n in range(3):
            update_and_deliver(outage, settings, body=f"update {n}")
            down.refresh_from_db()
            assert down.status == ("disabled" if n == 2 else "active"), n
    assert "unreachable: the last 3 deliveries failed" in down.disabled_reason
    assert list(Delivery.objects.filter(subscriber=down).values_list("status", flat=True)) == [
        "failed",
        "failed",
        "failed",
    ]
    event = Event.objects.get(kind="subscriber.disabled")
    assert event.subject_id == down.public_id
    flaky.refresh_from_db()
    assert flaky.status == "active"  # one answer in between: it is alive


def test_the_worker_reconnects_after_the_database_dropped_its_connection(notify_settings, catalog):
    """A database restart must not leave the worker failing until someone restarts it: the
    call that meets the dead connection fails, the next one opens a new connection."""
    import asyncio

    from django.db import connection, connections

    from tidings.components.models import Component
    from tidings.notify.worker import DeliveryWorker

    async def main() -> int:
        worker = DeliveryWorker(notify_settings)
        try:
            assert await worker.db(Component.objects.count) == len(catalog)
            # the server went away (read in the worker's thread: connections are per thread)
            await worker.db(lambda: connection.connection.close())  # noqa: PLW0108
            with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises
                await worker.db(Component.objects.count)
            return await worker.db(Component.objects.count)
        finally:
            await worker.db(connections.close_all)
            worker.db_thread.shutdown()

    assert asyncio.run(main()) == len(catalog)
