"""Recipients never receive an older state after a newer one: updates queued while no worker
ran go out as the newest only; an older one still in flight holds the newer one back; and a
maintenance notice whose moment has passed is not sent."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.db import connection, transaction

from tests.notify.channel_kit import TWILIO
from tests.notify.kit import drain, subscriber
from tidings.components.models import Component
from tidings.core import clock
from tidings.customers.models import Contact, Customer
from tidings.incidents import maintenances, services
from tidings.notify import claims, ledger
from tidings.notify.models import Delivery
from tidings.notify.protocol import Result
from tidings.subscribers.models import Subscriber

pytestmark = pytest.mark.django_db(transaction=True)


def post(incident, status, body, at):
    with clock.frozen(at), transaction.atomic():
        return services.post_update(actor="dana", incident=incident, status=status, body=body)


def deliveries_report(api, incident):
    return api.call("GET", f"/incidents/{incident.public_id}/deliveries").json()


def test_three_updates_posted_while_no_worker_ran_reach_each_recipient_once_as_the_newest(
    now, notify_settings, smtp_sink, http_sink, api, catalog, outage
):
    subscriber("email", "erez@example.com")
    subscriber("email", "noa@example.com", language="he")
    subscriber("webhook", f"{http_sink.url}/hooks/acme")
    globex = Customer.objects.create(name="Globex")
    globex.components.set([Component.objects.get(public_id=catalog["API"])])
    Contact.objects.create(customer=globex, name="Lee", email="lee@globex.example",
                           phone="+972501111111", channels=["email", "sms"])  # fmt: skip
    first = post(outage, "identified", "Found it.", now + timedelta(minutes=1))
    second = post(outage, "monitoring", "Fix deployed.", now + timedelta(minutes=2))
    newest = post(outage, "resolved", "All good.", now + timedelta(minutes=3))

    with clock.frozen(now + timedelta(minutes=4)):
        drain(notify_settings)

    subjects = {m.recipients[0]: m for m in smtp_sink.mails}
    assert sorted(m.recipients[0] for m in smtp_sink.mails) == [
        "erez@example.com", "lee@globex.example", "noa@example.com",
    ]  # fmt: skip
    assert all(b"All good." in m.data for m in subjects.values())
    [hook] = [r for r in http_sink.requests if r.path == "/hooks/acme"]
    assert json.loads(hook.body)["incident"]["incident_updates"][0]["id"] == newest.public_id
    [sms] = [r for r in http_sink.requests if r.path == TWILIO]
    assert "All good." in parse_qs(sms.body.decode())["Body"][0]

    older = Delivery.objects.filter(message__update__in=[first, second])
    assert older.count() == 10  # the incident's first update went out before anyone subscribed
    assert set(older.values_list("status", "superseded_by")) == {("superseded", newest.pk)}
    assert set(
        Delivery.objects.filter(message__update=newest).values_list("status", flat=True)
    ) == {"sent"}
    report = deliveries_report(api, outage)
    by_id = {u["update_id"]: u for u in report["updates"]}
    assert by_id[first.public_id]["reasons"] == [{
        "status": "superseded", "count": 5,
        "reason": f"superseded by update {newest.public_id} (Resolved, 12:03): not sent",
    }]  # fmt: skip
    assert by_id[newest.public_id]["totals"]["sent"] == 5


def test_a_newer_update_waits_while_the_older_one_is_in_flight(
    now, notify_settings, catalog, outage
):
    subscriber("email", "erez@example.com")
    older = post(outage, "identified", "Found it.", now)
    assert ledger.claim("worker-a", 10, now=now)  # worker A takes the older one...
    newer = post(outage, "resolved", "All good.", now)
    # ...and while it is still sending, worker B must not overtake it.
    assert ledger.claim("worker-b", 10, now=now) == []
    waiting = Delivery.objects.get(message__update=newer)
    assert waiting.status == "queued" and waiting.attempts == 0
    assert waiting.next_attempt_at == now + claims.DEFER
    sent = Delivery.objects.get(message__update=older)
    ledger.record([Result(sent.id, ok=True)], "worker-a", now=now)
    assert ledger.claim("worker-b", 10, now=now + claims.DEFER) == [waiting.id]


def test_an_older_update_found_with_a_newer_one_waiting_is_superseded_not_sent(
    now, notify_settings, catalog, outage
):
    subscriber("email", "erez@example.com")
    older = post(outage, "identified", "Found it.", now)
    Delivery.objects.filter(message__update=older).update(attempts=1, last_error="451 4.3.0",
                                                          next_attempt_at=now + timedelta(minutes=5))  # fmt: skip
    newer = post(outage, "resolved", "All good.", now + timedelta(minutes=1))
    with clock.frozen(now + timedelta(minutes=1)):
        [claimed] = ledger.claim("w", 10)
    assert claimed == Delivery.objects.get(message__update=newer).id
    # The older one, still waiting for its retry, will never go.
    assert Delivery.objects.get(message__update=older).status == "superseded"


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lets one writer at a time, so a claim never meets a row another holds",
)
def test_an_older_delivery_held_by_another_worker_holds_the_newer_back(
    now, notify_settings, catalog, outage
):
    subscriber("email", "erez@example.com")
    older = post(outage, "identified", "Found it.", now)
    newer = post(outage, "resolved", "All good.", now)
    older_id = Delivery.objects.get(message__update=older).id
    held, release = threading.Event(), threading.Event()

    def other_worker() -> None:  # another worker's claim, in the middle of its transaction
        try:
            with transaction.atomic():
                list(Delivery.objects.select_for_update().filter(id=older_id))
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert held.wait(10)
        # The older row is skipped (locked); the newer must wait for it rather than go first.
        assert ledger.claim("w", 10, now=now) == []
    finally:
        release.set()
        thread.join(10)
    assert Delivery.objects.get(id=older_id).status == "queued"
    assert Delivery.objects.get(message__update=newer).next_attempt_at == now + claims.DEFER


def test_a_maintenance_notice_whose_moment_passed_is_not_sent(
    now, notify_settings, smtp_sink, api, catalog
):
    subscriber("email", "erez@example.com")
    starts, ends = now + timedelta(hours=1), now + timedelta(hours=2)
    with transaction.atomic():
        upgrade = maintenances.create_maintenance(
            actor="dana", title="Database upgrade", body="We will upgrade the database.",
            scheduled_for=starts, scheduled_until=ends, auto_transition=False,
        )  # fmt: skip
    with clock.frozen(starts + timedelta(minutes=1)):
        drain(notify_settings)  # the workers were down until after the start
    assert smtp_sink.mails == []
    started = post(upgrade, "in_progress", "Upgrading now.", starts + timedelta(minutes=2))
    with clock.frozen(ends + timedelta(minutes=1)):
        drain(notify_settings)  # and down again until after the end
    assert smtp_sink.mails == []
    reasons = {u["status"]: u["reasons"] for u in deliveries_report(api, upgrade)["updates"]}
    assert reasons["scheduled"] == [{"status": "superseded", "count": 1,
                                     "reason": "not sent: the maintenance had started"}]  # fmt: skip
    assert reasons["in_progress"][0]["reason"] == "not sent: the maintenance had ended"
    done = post(upgrade, "completed", "Done.", ends + timedelta(minutes=2))
    with clock.frozen(ends + timedelta(minutes=3)):
        drain(notify_settings)
    assert [b"Done." in m.data for m in smtp_sink.mails] == [True]  # the closing notice goes
    assert started.pk and done.pk


def test_someone_who_unsubscribed_meanwhile_is_not_sent_what_was_queued(
    now, notify_settings, smtp_sink, api, catalog, outage
):
    leaving = subscriber("email", "leaving@example.com")
    post(outage, "identified", "Found it.", now)
    Subscriber.objects.filter(pk=leaving.pk).update(status="unsubscribed")
    drain(notify_settings)
    assert smtp_sink.mails == []
    [why] = deliveries_report(api, outage)["updates"][0]["reasons"]
    assert why == {"status": "cancelled", "count": 1, "reason":
                   "cancelled: the recipient unsubscribed or is no longer told on this channel"}  # fmt: skip


@pytest.mark.parametrize("told", [True, False], ids=["cancellation-notified", "quietly-cancelled"])
def test_a_cancelled_maintenance_never_announces_itself_afterwards(
    now, notify_settings, smtp_sink, api, catalog, told
):
    subscriber("email", "erez@example.com")
    with transaction.atomic():
        upgrade = maintenances.create_maintenance(
            actor="dana", title="Database upgrade", body="We will upgrade the database.",
            scheduled_for=now + timedelta(days=1), scheduled_until=now + timedelta(days=1, hours=2),
        )  # fmt: skip
    with clock.frozen(now + timedelta(minutes=5)), transaction.atomic():
        cancel = services.post_update(actor="dana", incident=upgrade, status="cancelled",
                                      body="Not needed after all.",
                                      audience="all" if told else "none")  # fmt: skip
    with clock.frozen(now + timedelta(minutes=6)):
        drain(notify_settings)  # the workers were down until now
    assert [b"Not needed after all." in m.data for m in smtp_sink.mails] == ([True] if told else [])
    [why] = {u["status"]: u for u in deliveries_report(api, upgrade)["updates"]}["scheduled"][
        "reasons"
    ]
    if told:
        assert (
            why["reason"] == f"superseded by update {cancel.public_id} (Cancelled, 12:05): not sent"
        )
    else:
        assert why["reason"] == "not sent: the maintenance was cancelled"
