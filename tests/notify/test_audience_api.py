"""Before posting, Dana asks who an update would reach; afterwards, how the telling went."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction

from tests.notify.kit import subscriber
from tidings.components.models import Component
from tidings.customers.models import Contact, Customer
from tidings.incidents import services
from tidings.notify import ledger
from tidings.notify.models import Delivery, Message
from tidings.notify.protocol import Result
from tidings.notify.rules import mask_target


@pytest.fixture
def people(now, dana, catalog):
    """Globex (strategic, uses the API) and Initech (uses Email), their contacts, and a few
    public subscribers."""
    api = Component.objects.get(public_id=catalog["API"])
    website = Component.objects.get(public_id=catalog["Website"])
    globex = Customer.objects.create(
        name="Globex", plan="enterprise", strategic=True, account_manager=dana
    )
    globex.components.set([api])
    initech = Customer.objects.create(name="Initech", plan="business")
    initech.components.set([Component.objects.get(public_id=catalog["Email"])])
    Contact.objects.create(
        customer=globex, name="Noa", email="noa@globex.example", phone="+972501111111",
        language="he", channels=["email", "sms"],
    )  # fmt: skip
    Contact.objects.create(customer=globex, name="Sam", email="sam@globex.example")
    Contact.objects.create(customer=initech, name="Lee", email="lee@initech.example")
    subscriber("email", "erez@example.com")
    subscriber("webhook", "https://hooks.example.com/T000/secret", components=[api])
    subscriber("email", "web-only@example.com", components=[website])
    subscriber("email", "pending@example.com", status="pending")
    return {"globex": globex, "initech": initech}


def test_the_affected_audience_is_counted_by_channel_and_language(api, outage, people):
    r = api.call("POST", f"/incidents/{outage.public_id}/audience", {"audience": "affected"})
    assert r.status_code == 200, r.content
    p = r.json()
    # Noa by email and SMS, Sam, Erez (all components) and the API webhook
    assert p["total"] == 5
    assert p["by_channel"] == {"email": 3, "sms": 1, "webhook": 1}
    assert p["by_language"] == {"en": 3, "he": 2}
    assert p["customers"] == 1
    assert p["strategic_customers"] == [
        {"id": people["globex"].public_id, "name": "Globex", "account_manager": "dana"}
    ]
    assert Message.objects.count() == 0 and Delivery.objects.count() == 0  # nothing sent


def test_all_and_segments_change_who_is_counted(api, outage, people):
    everyone = api.call("POST", f"/incidents/{outage.public_id}/audience", {"audience": "all"})
    assert everyone.json()["total"] == 7  # + Lee and the website-only subscriber
    assert everyone.json()["customers"] == 2
    seg = api.call(
        "POST",
        f"/incidents/{outage.public_id}/audience",
        {"audience": {"plans": ["business"], "channels": ["email"]}},
    ).json()
    assert (seg["total"], seg["by_channel"], seg["strategic_customers"]) == (1, {"email": 1}, [])
    hebrew = api.call(
        "POST",
        f"/incidents/{outage.public_id}/audience",
        {"audience": {"strategic": True, "languages": ["he"]}},
    ).json()
    assert hebrew["by_channel"] == {"email": 1, "sms": 1}
    nobody = api.call("POST", f"/incidents/{outage.public_id}/audience", {"audience": "none"})
    assert nobody.json()["total"] == 0
    assert Delivery.objects.count() == 0


def test_a_bad_audience_or_incident_is_refused(api, client, people, outage):
    path = f"/incidents/{outage.public_id}/audience"
    r = api.call("POST", path, {"audience": "everybody"})
    assert r.status_code == 422 and "audience must be one of" in r.json()["detail"]
    r = api.call("POST", path, {"audience": {"planets": ["mars"]}})
    assert r.status_code == 422 and "unknown segment keys: planets" in r.json()["detail"]
    assert api.call("POST", "/incidents/zzzzzzzzzzzz/audience", {}).status_code == 404
    r = client.post(f"/api/v1{path}", data="{}", content_type="application/json")
    assert r.status_code == 401
    assert client.get(f"/api/v1/incidents/{outage.public_id}/deliveries").status_code == 401


def test_an_internal_incident_reaches_nobody_whatever_the_audience(api, people, catalog):
    with transaction.atomic():
        internal = services.create_incident(
            actor="dana", title="Disk filling", body="Ops only.", visibility="internal",
            components={catalog["API"]: "degraded_performance"},
        )  # fmt: skip
    p = api.call("POST", f"/incidents/{internal.public_id}/audience", {"audience": "all"}).json()
    assert p["total"] == 0 and "internal" in p["note"]


def test_delivery_figures_per_update_and_the_disabled_targets(api, now, outage, people):
    bounce = subscriber("email", "bounce@example.com")
    with transaction.atomic():
        update = services.post_update(
            actor="dana", incident=outage, status="identified", body="Found it.",
            audience={"channels": ["email", "webhook"]} | {"plans": ["enterprise"]},
        )  # fmt: skip
    # enterprise segment: Globex's contacts by email (Noa, Sam); its own endpoints: none
    assert Delivery.objects.filter(message__update=update).count() == 2
    with transaction.atomic():
        later = services.post_update(
            actor="dana", incident=outage, status="identified", body="Still on it.",
            audience="all",
        )  # fmt: skip
    rows = {d.target: d for d in Delivery.objects.filter(message__update=later)}
    assert set(rows) == {
        "noa@globex.example", "+972501111111", "sam@globex.example", "lee@initech.example",
        "erez@example.com", "https://hooks.example.com/T000/secret", "web-only@example.com",
        "bounce@example.com",
    }  # fmt: skip
    sent_at = now + timedelta(seconds=42)
    ledger.claim("test", 100, now=now)
    Delivery.objects.filter(id=rows["lee@initech.example"].id).update(attempts=8)
    ledger.record(
        [
            Result(rows["erez@example.com"].id, ok=True),
            Result(rows["noa@globex.example"].id, ok=True),
            Result(rows["https://hooks.example.com/T000/secret"].id, ok=True),
            Result(
                rows["bounce@example.com"].id, ok=False, permanent=True,
                error="550 5.1.1 <Bounce@example.com>: Recipient address rejected",
            ),
            Result(rows["lee@initech.example"].id, ok=False, error="421 try later"),
            Result(rows["web-only@example.com"].id, ok=False, error="timeout"),
        ],
        "test",
        now=sent_at,
    )  # fmt: skip
    r = api.call("GET", f"/incidents/{outage.public_id}/deliveries")
    assert r.status_code == 200, r.content
    report = r.json()
    assert [u["update_id"] for u in report["updates"]][:2] == [later.public_id, update.public_id]
    newest = report["updates"][0]
    assert newest["by_channel"]["email"] == {
        "queued": 1, "sending": 1, "sent": 2, "failed": 1, "rejected": 0, "dead": 1,
        "superseded": 0, "cancelled": 0,
    }  # fmt: skip
    assert newest["by_channel"]["webhook"] == {
        "queued": 0, "sending": 0, "sent": 1, "failed": 0, "rejected": 0, "dead": 0,
        "superseded": 0, "cancelled": 0,
    }  # fmt: skip
    assert newest["totals"]["sent"] == 3 and newest["total"] == 8
    assert newest["pending"] == 3 and newest["complete"] is False  # sms, sam still sending
    assert newest["seconds_to_last_delivery"] == 42.0
    assert newest["first_created_at"].startswith("2026-11-23T12:00:00")
    earlier = report["updates"][1]
    assert earlier["total"] == 2 and earlier["seconds_to_last_delivery"] is None
    # Noa and Sam were claimed with both updates waiting: only the newer one goes to them.
    assert earlier["totals"]["superseded"] == 2
    [why] = earlier["reasons"]
    assert why["status"] == "superseded" and why["count"] == 2
    assert why["reason"].startswith(f"superseded by update {later.public_id} (Identified, 12:00)")
    assert report["updates"][-1]["total"] == 0  # the first update, before anyone subscribed

    [disabled] = report["disabled"]
    assert disabled == {
        "kind": "subscriber",
        "channel": "email",
        "target": "b***@example.com",
        "reason": "550 5.1.1 <b***@example.com>: Recipient address rejected",
        "disabled_at": disabled["disabled_at"],
        "update_id": later.public_id,
        "target_id": bounce.public_id,
    }
    assert "bounce@" not in json.dumps(report).lower()
    bounce.refresh_from_db()
    assert bounce.status == "disabled"


@pytest.mark.parametrize(
    ("channel", "target", "masked"),
    [
        ("email", "noa.levi@globex.example", "n***@globex.example"),
        ("sms", "+972501234567", "+972*******67"),
        (
            "webhook",
            "https://user:pw@hooks.slack.com/services/T0/B0/xyz",
            "https://hooks.slack.com/…",
        ),
        ("telegram", "123456789", "123****89"),
        ("apprise", "tgram://bottoken/chat", "tgram://…"),
        ("telegram", "@acme_status", "@a***us"),
        ("telegram", "42", "***"),
    ],
)
def test_targets_are_masked(channel, target, masked):
    assert mask_target(channel, target) == masked
    assert target not in mask_target(channel, target)


def test_the_console_shows_delivery_figures_to_staff_only(client, dana, now, outage, people):
    with transaction.atomic():
        update = services.post_update(
            actor="dana", incident=outage, status="identified", body="Found it.", audience="all"
        )
    rows = {d.target: d for d in Delivery.objects.filter(message__update=update)}
    ledger.record(
        [
            Result(rows["erez@example.com"].id, ok=True),
            Result(rows["noa@globex.example"].id, ok=True),
            Result(rows["web-only@example.com"].id, ok=False, permanent=True, error="550"),
        ],
        "test",
        now=now + timedelta(minutes=3, seconds=5),
    )
    url = f"/console/incidents/{outage.public_id}/deliveries"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(dana)
    r = client.get(url)
    assert r.status_code == 200
    page = r.content.decode()
    assert "Deliveries: Elevated API errors" in page
    assert "3 min 05 s" in page
    # email: Sam and Lee queued, none sending, Erez and Noa sent, none failed, web-only dead
    assert (
        '<tr data-channel="email"><td>email</td><td class="n">2</td><td class="n">0</td>'
        '<td class="n">2</td><td class="n">0</td><td class="n">0</td><td class="n bad">1</td>'
        '<td class="n">0</td><td class="n">0</td><td class="n">5</td></tr>'
    ) in page
    assert "<strong>4</strong> · Queued: waiting for a worker" in page  # all channels
    assert "w***@example.com" in page and "web-only@example.com" not in page
    # some are still queued: the counts and reasons poll by themselves, the page stays put
    assert 'http-equiv="refresh"' not in page and f'hx-get="{url}/live"' in page
    live = client.get(f"{url}/live").content.decode()
    assert live.startswith('<div id="deliveries-live" hx-get=') and "3 min 05 s" in live
    queued = Delivery.objects.filter(message__update=update, status="queued")
    ledger.record([Result(d.id, ok=True) for d in queued], "test", now=now + timedelta(minutes=4))
    done = client.get(f"{url}/live").content.decode()
    assert done.startswith('<div id="deliveries-live">') and "4 min 00 s" in done  # no more polls
    assert client.get("/console/incidents/zzzzzzzzzzzz/deliveries").status_code == 404


def test_a_contact_channel_that_died_is_listed_once_disabled(api, now, outage, people):
    with transaction.atomic():
        update = services.post_update(
            actor="dana", incident=outage, status="identified", body="Found it.", audience="all"
        )
    rows = {d.target: d for d in Delivery.objects.filter(message__update=update)}
    ledger.record(
        [
            Result(rows["+972501111111"].id, ok=False, permanent=True,
                   error="21211: '+972501111111' is not a valid phone number"),
            # Sam names no channel, so email is his default: once it bounces he has none left
            Result(rows["sam@globex.example"].id, ok=False, permanent=True, error="550"),
        ],
        "test",
        now=now,
    )  # fmt: skip
    report = api.call("GET", f"/incidents/{outage.public_id}/deliveries").json()
    noa_sms, sam_email = sorted(report["disabled"], key=lambda d: d["channel"], reverse=True)
    assert (noa_sms["kind"], noa_sms["channel"], noa_sms["target"]) == (
        "contact",
        "sms",
        "+972*******11",
    )
    assert "+972501111111" not in noa_sms["reason"]
    assert Contact.objects.get(name="Noa").channels == ["email"]
    assert (sam_email["kind"], sam_email["channel"]) == ("contact", "email")
    assert Contact.objects.get(name="Sam").channels == ["none"]  # staff see he is unreachable
