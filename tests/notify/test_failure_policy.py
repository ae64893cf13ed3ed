"""What becomes of a delivery, and of its target, by what the server said: through the real
worker, the database and a scripted SMTP or HTTP server on loopback."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import transaction

from tests.notify.kit import drain, subscriber
from tidings.config import overridden
from tidings.core import clock
from tidings.customers.models import Contact, Customer
from tidings.incidents import services
from tidings.notify.models import Delivery
from tidings.subscribers.models import Subscriber

pytestmark = pytest.mark.django_db(transaction=True)

HELO_REFUSED = "504 5.5.2 <vm>: Helo command rejected: need fully-qualified hostname"


def post(incident, body="x", status="identified"):
    with transaction.atomic():
        return services.post_update(actor="dana", incident=incident, status=status, body=body)


def new_incident(title):
    with transaction.atomic():
        return services.create_incident(actor="dana", title=title, body="Investigating.")


def report(api, incident):
    r = api.call("GET", f"/incidents/{incident.public_id}/deliveries")
    assert r.status_code == 200, r.content
    return r.json()


def test_each_reply_decides_for_the_delivery_and_the_target(
    now, notify_settings, smtp_sink, api, outage, caplog
):
    gone = subscriber("email", "gone@example.com")
    unknown = subscriber("email", "unknown@example.com")
    spam = subscriber("email", "strict@example.com")
    full = subscriber("email", "full@example.com")
    ok = subscriber("email", "erez@example.com")
    smtp_sink.replies.update({
        "gone@example.com": "550 5.1.1 <gone@example.com>: Recipient address rejected: User unknown",
        "unknown@example.com": "550 Requested action not taken: mailbox unavailable",
        "strict@example.com": "554 5.7.1 <strict@example.com>: Relay access denied",
        "full@example.com": "452 4.2.2 <full@example.com>: Mailbox full",
    })  # fmt: skip
    caplog.set_level(logging.WARNING, logger="tidings.notify")
    post(outage)
    drain(notify_settings)

    status = {d.target: d.status for d in Delivery.objects.all()}
    assert status == {
        "gone@example.com": "dead", "unknown@example.com": "dead",
        "strict@example.com": "rejected", "full@example.com": "queued", "erez@example.com": "sent",
    }  # fmt: skip
    for s, expected in ((gone, "disabled"), (unknown, "disabled"), (spam, "active"),
                        (full, "active"), (ok, "active")):  # fmt: skip
        s.refresh_from_db()
        assert s.status == expected, s.target
    retry = Delivery.objects.get(target="full@example.com")
    assert retry.attempts == 1 and retry.next_attempt_at == now + timedelta(seconds=30)

    r = report(api, outage)
    why = {(x["status"], x["reason"]) for x in r["updates"][0]["reasons"]}
    assert ("queued", "retry at 12:00 after 452 4.2.2 <f***@example.com>: Mailbox full") in why
    assert ("rejected", "refused for good (the address is kept): 554 5.7.1 <s***@example.com>: "
            "Relay access denied") in why  # fmt: skip
    assert ("sent", "accepted by the receiving server") in why
    problems = {p["target"]: (p["status"], p["reason"]) for p in r["problems"]}
    assert problems["g***@example.com"] == (
        "dead", "the address is refused, target disabled: 550 5.1.1 <g***@example.com>: "
        "Recipient address rejected: User unknown",
    )  # fmt: skip
    assert set(problems) == {"g***@example.com", "u***@example.com", "s***@example.com",
                             "f***@example.com"}  # fmt: skip
    assert {d["target"] for d in r["disabled"]} == {"g***@example.com", "u***@example.com"}
    assert "gone@example.com" not in str(r)

    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert "(email to g***@example.com) the address is refused: 550 5.1.1" in logged
    assert "disabled subscriber g***@example.com (email): 550 5.1.1" in logged
    assert "(email to s***@example.com) refused for good: 554 5.7.1" in logged
    assert "(email to f***@example.com) failed, retry at 12:00:30: 452 4.2.2" in logged
    assert "gone@example.com" not in logged


def test_a_server_refusing_our_greeting_disables_nobody(
    now, notify_settings, smtp_sink, api, catalog
):
    people = [subscriber("email", f"user{i}@example.com") for i in range(5)]
    for s in people:
        smtp_sink.replies[s.target] = HELO_REFUSED.replace("<vm>", "<localhost>")
    for n in range(4):  # more than enough refusals in a row to disable anyone who counted
        incident = new_incident(f"Outage {n}")
        drain(notify_settings)
        assert report(api, incident)["updates"][0]["totals"]["failed"] == 5
    assert set(Subscriber.objects.values_list("status", flat=True)) == {"active"}
    assert set(Delivery.objects.values_list("status", flat=True)) == {"failed"}
    [why] = report(api, incident)["updates"][0]["reasons"]
    assert why["reason"].startswith("not sent, the server refused us: 504 5.5.2")


def test_refusals_that_are_not_about_the_address_disable_after_three_in_a_row(
    now, notify_settings, smtp_sink, api, catalog
):
    strict = subscriber("email", "strict@example.com")
    flaky = subscriber("email", "flaky@example.com")
    smtp_sink.replies["strict@example.com"] = "554 5.7.1 Message refused by policy"
    for n in range(3):
        smtp_sink.replies["flaky@example.com"] = "552 5.3.4 Message too big" if n != 1 else "250 ok"
        if n == 1:
            del smtp_sink.replies["flaky@example.com"]
        incident = new_incident(f"Outage {n}")
        drain(notify_settings)
        strict.refresh_from_db()
        assert strict.status == ("disabled" if n == 2 else "active"), n
    assert strict.disabled_reason.startswith("refused 3 times in a row: 554 5.7.1")
    flaky.refresh_from_db()
    assert flaky.status == "active"  # a message got through in between
    [disabled] = report(api, incident)["disabled"]
    assert disabled["target"] == "s***@example.com" and disabled["target_id"] == strict.public_id


def test_a_disabled_target_gets_nothing_more_and_its_queued_messages_are_cancelled(
    now, notify_settings, smtp_sink, api, catalog
):
    gone = subscriber("email", "gone@example.com")
    smtp_sink.reject.add("gone@example.com")
    first, second = new_incident("Checkout errors"), new_incident("Slow search")
    # The second incident's message waits in a backlog when the first one bounces.
    later = Delivery.objects.get(message__update__incident=second)
    Delivery.objects.filter(pk=later.pk).update(next_attempt_at=now + timedelta(minutes=5))
    drain(notify_settings)
    gone.refresh_from_db()
    later.refresh_from_db()
    assert gone.status == "disabled"
    assert later.status == "cancelled" and later.last_error.startswith("target disabled: 550")
    [why] = report(api, second)["updates"][0]["reasons"]
    assert why == {
        "status": "cancelled", "count": 1,
        "reason": "cancelled: target disabled (550 5.1.1 No such user here)",
    }  # fmt: skip
    with clock.frozen(now + timedelta(minutes=10)):
        post(first)
        assert drain(notify_settings).get("sent", 0) == 0  # fan-out skips a disabled subscriber
    assert len(smtp_sink.mails) == 0 and first.pk


def test_a_contact_channel_refused_is_taken_off_and_can_be_enabled_again(
    now, notify_settings, smtp_sink, api, client, dana, outage, catalog
):
    from tidings.components.models import Component

    globex = Customer.objects.create(name="Globex")
    globex.components.set([Component.objects.get(public_id=catalog["API"])])
    noa = Contact.objects.create(customer=globex, name="Noa", email="noa@globex.example",
                                 channels=["email"])  # fmt: skip
    smtp_sink.replies["noa@globex.example"] = "550 5.2.1 Mailbox disabled"
    post(outage)
    drain(notify_settings)
    noa.refresh_from_db()
    assert noa.channels == ["none"]
    [disabled] = report(api, outage)["disabled"]
    assert (disabled["kind"], disabled["target"], disabled["target_id"]) == (
        "contact", "n***@globex.example", str(noa.pk),
    )  # fmt: skip

    # Dana fixes the address with the customer and turns email back on from the report page.
    client.force_login(dana)
    page = client.get(f"/console/incidents/{outage.public_id}/deliveries").content.decode()
    assert "Enable again" in page and "n***@globex.example" in page
    r = client.post(f"/console/incidents/{outage.public_id}/deliveries/enable",
                    {"kind": "contact", "target_id": str(noa.pk), "channel": "email",
                     "masked": "n***@globex.example"})  # fmt: skip
    assert r.status_code == 302
    noa.refresh_from_db()
    assert noa.channels == ["email"]
    assert "n***@globex.example is enabled again." in client.get(r["Location"]).content.decode()
    assert report(api, outage)["disabled"] == []

    del smtp_sink.replies["noa@globex.example"]
    post(outage, "Fixed.", "resolved")
    drain(notify_settings)
    assert [m.recipients for m in smtp_sink.mails] == [["noa@globex.example"]]


def test_staff_enable_a_disabled_subscriber_through_the_api(
    now, notify_settings, api, lead_api, catalog
):
    sub = subscriber("email", "erez@example.com")
    Subscriber.objects.filter(pk=sub.pk).update(status="disabled", disabled_reason="550 5.1.1")
    r = api.call("POST", f"/subscribers/{sub.public_id}/enable")
    assert r.status_code == 200, r.content
    assert r.json() == {"kind": "subscriber", "target_id": sub.public_id, "channel": "email",
                        "target": "e***@example.com"}  # fmt: skip
    sub.refresh_from_db()
    assert (sub.status, sub.disabled_reason, sub.disabled_at) == ("active", "", None)
    again = api.call("POST", f"/subscribers/{sub.public_id}/enable")
    assert again.status_code == 422 and "not disabled" in again.json()["detail"]
    assert api.call("POST", "/subscribers/nosuchid0000/enable").status_code == 404
    Subscriber.objects.filter(pk=sub.pk).update(status="unsubscribed")
    assert api.call("POST", f"/subscribers/{sub.public_id}/enable").status_code == 422
    # contacts are customers' (admins, support, account managers): Rina, an admin
    contact_call = lead_api.call("POST", "/contacts/99999/enable", {"channel": "fax"})
    assert (
        contact_call.status_code == 422 and "not a contact channel" in contact_call.json()["detail"]
    )


def test_http_targets_by_status(now, notify_settings, http_sink, api, catalog):
    for path, status in (("/gone", 410), ("/missing", 404), ("/down", 503), ("/refuses", 403)):
        http_sink.responses[path] = status
        subscriber("webhook", f"{http_sink.url}{path}")
    incident = new_incident("Webhooks")
    drain(notify_settings)
    by_path = {d.target.rsplit("/", 1)[1]: d.status for d in Delivery.objects.all()}
    assert by_path == {"gone": "dead", "missing": "dead", "down": "queued", "refuses": "rejected"}
    statuses = dict(Subscriber.objects.values_list("target", "status"))
    assert statuses[f"{http_sink.url}/gone"] == "disabled"
    assert statuses[f"{http_sink.url}/refuses"] == "active"
    assert {d["reason"] for d in report(api, incident)["disabled"]} == {
        "HTTP 410 from the endpoint", "HTTP 404 from the endpoint",
    }  # fmt: skip


def test_without_a_mail_server_the_report_says_why(now, notify_settings, api, catalog, caplog):
    from tests.ports import free_port

    subscriber("email", "erez@example.com")
    incident = new_incident("Checkout errors")
    port = free_port()
    with overridden(smtp_port=port) as settings:
        drain(settings)
    [why] = report(api, incident)["updates"][0]["reasons"]
    assert why["status"] == "queued"
    assert why["reason"].startswith(
        f"retry at 12:00 after cannot connect to the SMTP server 127.0.0.1:{port}"
    )
    assert any(f"cannot connect to the SMTP server 127.0.0.1:{port}" in r.getMessage()
               for r in caplog.records if r.levelno >= logging.ERROR)  # fmt: skip


def test_a_mail_channel_that_cannot_start_says_why(now, notify_settings, smtp_sink, api, tmp_path):
    bad = tmp_path / "dkim.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnot really\n-----END PRIVATE KEY-----\n")
    subscriber("email", "erez@example.com")
    incident = new_incident("Checkout errors")
    with overridden(dkim_key_file=bad, dkim_selector="s1") as settings:
        drain(settings)
    [why] = report(api, incident)["updates"][0]["reasons"]
    assert why["status"] == "queued" and "the email channel cannot start" in why["reason"]
    assert "DKIM key" in why["reason"] and smtp_sink.mails == []
