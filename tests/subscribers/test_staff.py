"""Staff manage subscribers: Dana (communications) finds Erez by any part of his address or his
phone as he says it, adds someone who agreed on the phone, corrects a typo, counts who hears
about what, imports and exports CSV. Lists mask targets; one subscriber's page shows it whole."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import Client

from tests.notify.kit import subscriber
from tidings.config import overridden
from tidings.core.errors import InvalidInput
from tidings.core.models import Event
from tidings.customers.models import Customer
from tidings.staff import services as staff
from tidings.subscribers import directory, transfer
from tidings.subscribers.models import Subscriber

pytestmark = pytest.mark.django_db

HEADER = "channel,target,language,components,customer,consent\n"


@pytest.fixture(autouse=True)
def sms_configured() -> Iterator[None]:
    with overridden(twilio_account_sid="AC1", twilio_auth_token="t", twilio_from="+15550001111"):
        yield


@pytest.fixture
def comms(dana):
    staff.set_profile(actor="noa", user=dana, role="communications")
    return dana


@pytest.fixture
def people(now, catalog):
    acme = Customer.objects.create(name="Initech")
    erez = subscriber("email", "erez@example.com")
    phone = subscriber("sms", "+972501234567", components=[])
    phone.components.set(list(_components(catalog, "API")))
    hooked = subscriber("webhook", "https://hooks.initech.test/status/secret-path")
    hooked.customer = acme
    hooked.save()
    subscriber("email", "left@example.com", status="unsubscribed")
    return {"erez": erez, "phone": phone, "hook": hooked, "initech": acme}


def _components(catalog, *names):
    from tidings.components.models import Component

    return Component.objects.filter(public_id__in=[catalog[n] for n in names])


def found(q="", **kw):
    return sorted(s.target for s in directory.find(directory.Filters(q=q, **kw)))


def test_a_subscriber_is_found_by_part_of_the_address_the_phone_as_said_or_the_customer(people):
    assert found("EREZ@") == ["erez@example.com"]
    assert found("050-123 4567") == ["+972501234567"]
    assert found("0501234567") == ["+972501234567"]
    assert found("initech") == ["https://hooks.initech.test/status/secret-path"]
    assert found(people["erez"].public_id) == ["erez@example.com"]
    assert found(status="unsubscribed") == ["left@example.com"]
    assert found(channel="sms") == ["+972501234567"]


def test_filtering_by_component_includes_those_told_about_everything(people, catalog):
    api = found(component=catalog["API"])
    docs = found(component=catalog["Docs"])
    assert "+972501234567" in api and "+972501234567" not in docs
    assert "erez@example.com" in api and "erez@example.com" in docs


def test_subscribers_are_counted_by_channel_status_and_component(people, catalog):
    c = directory.counts()
    assert c.by_channel["email"] == {"pending": 0, "active": 1, "unsubscribed": 1, "disabled": 0}
    assert c.by_status["active"] == 3
    assert c.all_components == 2  # the email and the webhook; the phone chose the API only
    by_id = {x.id: x for x in c.by_component}
    assert (by_id[catalog["API"]].chosen, by_id[catalog["API"]].told) == (1, 3)
    assert (by_id[catalog["Docs"]].chosen, by_id[catalog["Docs"]].told) == (0, 2)


def test_staff_add_a_confirmed_subscriber_saying_how_they_agreed(api, comms, now, catalog):
    r = api.call("POST", "/subscribers", {
        "channel": "email", "target": " Noa@Example.com ", "consent": "asked by phone, ticket 4411",
        "components": [catalog["API"]], "language": "he",
    })  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "active" and body["target"] == "noa@example.com"
    assert body["added_by"] == "dana" and body["consent"] == "asked by phone, ticket 4411"
    sub = Subscriber.objects.get(public_id=body["id"])
    assert sub.confirmed_at == now and sub.language == "he"
    event = Event.objects.get(kind="subscriber.added")
    assert event.actor == "dana" and event.data["consent"] == "asked by phone, ticket 4411"
    again = api.call("POST", "/subscribers", {
        "channel": "email", "target": "noa@example.com", "consent": "again",
    })  # fmt: skip
    assert again.status_code == 422
    assert f"subscribed already (subscriber {body['id']})" in again.json()["detail"]


def test_adding_without_consent_is_refused_and_writes_nothing(api, comms, catalog):
    r = api.call("POST", "/subscribers", {"channel": "email", "target": "x@example.com",
                                          "consent": "   "})  # fmt: skip
    assert r.status_code == 422 and "agreed" in r.json()["detail"]
    assert not Subscriber.objects.exists()


def test_someone_who_unsubscribed_comes_back_only_with_consent_and_a_disabled_one_is_named(
    people,
):
    with transaction.atomic():
        back = directory.add(actor="dana", channel="email", target="left@example.com",
                             consent="wrote to support asking to be told again")  # fmt: skip
    assert back.status == "active" and back.unsubscribed_at is None
    assert Event.objects.filter(kind="subscriber.readded", subject_id=back.public_id).exists()
    phone = people["phone"]
    phone.status, phone.disabled_reason = "disabled", "number out of service"
    phone.save()
    with pytest.raises(InvalidInput, match=r"number out of service.*re-enable it instead"):
        directory.add(actor="dana", channel="sms", target="+972 50-123-4567", consent="phone")


def test_lists_mask_targets_and_one_subscribers_page_shows_it_whole(api, people):
    page = api.call("GET", "/subscribers?q=initech").json()
    assert page["total"] == 1
    [row] = page["items"]
    assert row["target"] == "https://hooks.initech.test/…" and row["customer"] == "Initech"
    whole = api.call("GET", f"/subscribers/{row['id']}").json()
    assert whole["target"] == "https://hooks.initech.test/status/secret-path"
    assert "secret-path" not in str(api.call("GET", "/subscribers?limit=500").json())


def test_a_mistyped_address_is_corrected_but_never_onto_someone_elses(api, people):
    erez = people["erez"]
    r = api.call("PATCH", f"/subscribers/{erez.public_id}", {"target": "erez@example.org"})
    assert r.status_code == 200 and r.json()["target"] == "erez@example.org"
    r = api.call("PATCH", f"/subscribers/{erez.public_id}", {"target": "left@example.com"})
    assert r.status_code == 422 and "belongs to subscriber" in r.json()["detail"]
    r = api.call("PATCH", f"/subscribers/{erez.public_id}", {"target": "not an address"})
    assert r.status_code == 422


def test_an_import_is_all_or_nothing_with_every_problem_listed(people):
    data = (
        HEADER
        + "email,new@example.com,he,,,signed up at the booth\n"
        + "email,not-an-address,en,,,booth\n"
        + "pager,123,en,,,booth\n"
        + "sms,+972 52 000 0000,xx,,Nobody Inc,booth\n"
    )
    with transaction.atomic():
        report = transfer.import_subscribers(actor="dana", data=data)
    got = {(e.row, e.column) for e in report.errors}
    assert got == {(3, "target"), (4, "channel"), (5, "language"), (5, "customer")}
    assert not Subscriber.objects.filter(target="new@example.com").exists()


def test_an_import_adds_updates_and_never_resubscribes_who_left(people, catalog):
    data = (
        HEADER
        + "email,new@example.com,he,API;Website,Initech,\n"
        + "email,erez@example.com,he,,,\n"
        + "email,left@example.com,en,,,\n"
        + "sms,+972-50-123-4567,en,API,,\n"
    )
    with transaction.atomic():
        dry = transfer.import_subscribers(
            actor="dana", data=data, consent="CRM opt-in", dry_run=True
        )
    assert (dry.created, dry.updated, dry.unchanged, dry.kept_unsubscribed) == (1, 1, 1, 1), (
        dry.errors
    )
    assert not Subscriber.objects.filter(target="new@example.com").exists()
    with transaction.atomic():
        report = transfer.import_subscribers(actor="dana", data=data, consent="CRM opt-in")
    assert report.ok, report.errors
    new = Subscriber.objects.get(target="new@example.com")
    assert new.status == "active" and new.consent == "CRM opt-in" and new.added_by == "dana"
    assert new.customer == people["initech"] and not new.all_components
    assert set(new.components.values_list("public_id", flat=True)) == {
        catalog["API"], catalog["Website"],
    }  # fmt: skip
    assert Subscriber.objects.get(target="erez@example.com").language == "he"
    assert Subscriber.objects.get(target="left@example.com").status == "unsubscribed"


def test_an_import_without_any_consent_statement_is_refused_as_a_whole(people):
    report = transfer.import_subscribers(actor="dana", data="channel,target\nemail,x@example.com\n")
    assert [(e.row, e.message[:30]) for e in report.errors] == [
        (0, "say how these people agreed to")
    ]


def test_the_export_has_every_target_whole_and_imports_back_unchanged(api, people, comms):
    r = api.call("GET", "/subscribers/export")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    body = b"".join(r.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {row["target"] for row in rows} >= {
        "erez@example.com", "+972501234567", "https://hooks.initech.test/status/secret-path",
    }  # fmt: skip
    session = Client()
    session.force_login(comms)
    again = session.post(
        "/api/v1/subscribers/import?consent=restore", body.encode(), content_type="text/csv"
    )
    assert again.status_code == 200, again.content
    result = again.json()
    assert (result["created"], result["updated"], result["kept_unsubscribed"]) == (0, 0, 1)
    assert result["unchanged"] == 3


def test_a_read_token_cannot_export_subscribers(client, dana, people):
    from tidings.core.auth import issue_token

    token = issue_token(user=dana, name="wall", scopes=["read"])
    r = client.get("/api/v1/subscribers/export", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 403 and "subscribers.export" in r.json()["detail"]
