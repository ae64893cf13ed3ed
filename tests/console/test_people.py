"""The people screens of the console, page by page: Dana (communications) and a support agent
find subscribers and customers, see what they were told, stop and resume bad targets, add,
import and export; roles decide who may; every mistake shows next to its field with what was
typed kept. The browser walks are in test_people_browser.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.customers.test_import_jobs import run_worker
from tests.notify.kit import subscriber
from tidings.config import overridden
from tidings.core.models import ApiToken
from tidings.customers.models import Contact, Customer, ImportJob
from tidings.staff.models import StaffProfile
from tidings.subscribers.models import Subscriber

pytestmark = pytest.mark.django_db


def signed_in(username: str, role: str | None) -> Client:
    user = User.objects.create_user(username, f"{username}@acme.test", "pw", is_staff=True)
    if role:
        StaffProfile.objects.create(user=user, role=role)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def sms_configured() -> Iterator[None]:
    with overridden(twilio_account_sid="AC1", twilio_auth_token="t", twilio_from="+15550001111"):
        yield


@pytest.fixture
def comms(dana) -> Client:
    client = Client()
    client.force_login(dana)
    return client


@pytest.fixture
def book(now, catalog):
    acme = Customer.objects.create(name="Initech", plan="enterprise", strategic=True)
    bill = Contact.objects.create(customer=acme, name="Bill Lumbergh", email="bill@initech.test",
                                  phone="+972521112233", channels=["email", "sms"])  # fmt: skip
    erez = subscriber("email", "erez@example.com")
    phone = subscriber("sms", "+972501234567")
    return {"initech": acme, "bill": bill, "erez": erez, "phone": phone}


def test_the_list_masks_targets_and_answers_a_search_as_a_fragment(comms, book):
    page = comms.get("/console/subscribers/").content.decode()
    assert "e***@example.com" in page and "erez@example.com" not in page
    assert 'hx-get="/console/subscribers/"' in page and "by-component" in page
    fragment = comms.get("/console/subscribers/?q=050-123+4567", HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert "<html" not in body and "+972*******67" in body and "e***@" not in body
    assert "1 subscriber<" in body


def test_one_subscribers_page_shows_the_whole_target(comms, book):
    page = comms.get(f"/console/subscribers/{book['erez'].public_id}").content.decode()
    assert 'id="target">erez@example.com<' in page
    assert "Nothing was sent to them yet." in page
    assert comms.get("/console/subscribers/nosuchsubscr").status_code == 404


def test_adding_without_consent_keeps_what_was_typed_and_says_why_next_to_the_field(comms, book):
    r = comms.post("/console/subscribers/new", {
        "channel": "email", "target": "noa@example.com", "consent": "", "language": "he",
        "every_component": "on",
    })  # fmt: skip
    assert r.status_code == 422
    page = r.content.decode()
    assert 'value="noa@example.com"' in page
    assert 'id="id_consent-errors"' in page and "This field is required." in page
    r = comms.post("/console/subscribers/new", {
        "channel": "sms", "target": "054-123-4567", "consent": "asked by phone",
        "language": "he", "every_component": "on",
    })  # fmt: skip
    assert r.status_code == 422 and 'id="id_target-errors"' in r.content.decode()
    r = comms.post("/console/subscribers/new", {
        "channel": "email", "target": "noa@example.com", "consent": "asked by phone, ticket 4411",
        "language": "he", "every_component": "on",
    })  # fmt: skip
    sub = Subscriber.objects.get(target="noa@example.com")
    assert r.status_code == 302 and r["Location"] == f"/console/subscribers/{sub.public_id}"
    assert (sub.status, sub.consent, sub.added_by) == (
        "active",
        "asked by phone, ticket 4411",
        "dana",
    )


def test_disabling_needs_a_reason_and_enabling_brings_it_back(comms, book):
    erez = book["erez"]
    r = comms.post(f"/console/subscribers/{erez.public_id}/disable", {"reason": "  "})
    assert r.status_code == 422 and 'id="id_reason-errors"' in r.content.decode()
    r = comms.post(f"/console/subscribers/{erez.public_id}/disable",
                   {"reason": "mailbox closed, customer called"})  # fmt: skip
    assert r.status_code == 302
    page = comms.get(r["Location"]).content.decode()
    assert (
        "Nothing is sent to this subscriber." in page and "mailbox closed, customer called" in page
    )
    assert "Disabled: nothing more is sent to this subscriber." in page
    listed = comms.get("/console/disabled/").content.decode()
    assert "e***@example.com" in listed and "by dana" in listed
    r = comms.post(f"/console/subscribers/{erez.public_id}/enable",
                   {"next": "/console/disabled/"})  # fmt: skip
    assert r.status_code == 302 and r["Location"] == "/console/disabled/"
    erez.refresh_from_db()
    assert erez.status == "active"


def test_correcting_onto_someone_elses_address_is_refused_next_to_the_target(comms, book):
    r = comms.post(f"/console/subscribers/{book['erez'].public_id}/edit", {
        "target": "+972501234567", "language": "en", "every_component": "on",
    })  # fmt: skip
    assert r.status_code == 422  # an email subscriber cannot take a phone number
    r = comms.post(f"/console/subscribers/{book['erez'].public_id}/edit", {
        "target": "erez@example.org", "language": "he", "every_component": "on",
    })  # fmt: skip
    assert r.status_code == 302
    assert Subscriber.objects.get(pk=book["erez"].pk).target == "erez@example.org"


def test_roles_decide_who_may_change_and_export(book):
    support = signed_in("sivan", "support")
    viewer = signed_in("vered", None)
    page = viewer.get("/console/subscribers/").content.decode()
    assert "Add a subscriber" not in page and "Export CSV" not in page
    assert viewer.post(f"/console/subscribers/{book['erez'].public_id}/disable",
                       {"reason": "x"}).status_code == 403  # fmt: skip
    assert support.get("/console/subscribers/export").status_code == 403  # support: no bulk export
    assert support.get("/console/subscribers/new").status_code == 200
    manager = signed_in("avi", "account_manager")
    assert manager.get("/console/customers/export").status_code == 200
    assert manager.get("/console/subscribers/new").status_code == 403


def test_subscribers_are_imported_and_exported_from_the_console(comms, book):
    bad = b"channel,target\nemail,not-an-address\n"
    r = comms.post("/console/subscribers/import", {
        "file": SimpleUploadedFile("s.csv", bad), "consent": "booth sign-up sheet",
    })  # fmt: skip
    assert r.status_code == 422 and "1 problem found; nothing was imported." in r.content.decode()
    good = b"channel,target,language\nemail,new@example.com,he\n"
    r = comms.post("/console/subscribers/import", {
        "file": SimpleUploadedFile("s.csv", good), "consent": "booth sign-up sheet",
    })  # fmt: skip
    assert r.status_code == 200 and 'class="created">1<' in r.content.decode()
    assert Subscriber.objects.get(target="new@example.com").consent == "booth sign-up sheet"
    export = comms.get("/console/subscribers/export?channel=email")
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "new@example.com" in body and "+972501234567" not in body


def test_a_customer_is_found_by_a_contacts_phone_and_the_match_is_named(comms, book):
    fragment = comms.get("/console/customers/?q=052-111-2233", HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert "Initech" in body and "found by" in body and "Bill Lumbergh" in body


def test_a_contact_channel_is_stopped_with_a_reason_and_started_again(comms, book):
    bill = book["bill"]
    manager = signed_in("avi", "account_manager")
    r = manager.post(f"/console/contacts/{bill.pk}/disable", {"channel": "sms", "reason": ""})
    assert r.status_code == 422
    r = manager.post(f"/console/contacts/{bill.pk}/disable",
                     {"channel": "sms", "reason": "number now belongs to someone else"})  # fmt: skip
    assert r.status_code == 302
    page = manager.get(f"/console/contacts/{bill.pk}").content.decode()
    assert "number now belongs to someone else" in page and "Stopped" in page
    customer_page = manager.get(f"/console/customers/{book['initech'].public_id}").content.decode()
    assert "SMS stopped: number now belongs to someone else" in customer_page
    manager.post(f"/console/contacts/{bill.pk}/enable", {"channel": "sms"})
    bill.refresh_from_db()
    assert "sms" in bill.channels and not bill.disabled


def test_a_contact_is_changed_and_a_refused_change_keeps_what_is_stored(comms, book):
    manager, bill = signed_in("avi", "account_manager"), book["bill"]
    form = {"name": "Bill Lumbergh", "role": "VP", "email": "bill@initech.test",
            "phone": "+15550002222", "language": "he", "channels": ["email"]}  # fmt: skip
    r = manager.post(f"/console/contacts/{bill.pk}/edit", form, follow=True)
    assert r.redirect_chain[-1][0] == f"/console/contacts/{bill.pk}"
    assert "Saved." in r.content.decode()
    bill.refresh_from_db()
    assert (bill.role, bill.phone, bill.language) == ("VP", "+15550002222", "he")
    r = manager.post(f"/console/contacts/{bill.pk}/edit", {**form, "phone": "call me"})
    page = r.content.decode()
    assert r.status_code == 422 and 'id="id_phone-errors"' in page and 'value="call me"' in page
    bill.refresh_from_db()
    assert bill.phone == "+15550002222"


def test_contact_mistakes_show_next_to_their_fields(comms, book):
    manager = signed_in("avi", "account_manager")
    r = manager.post(f"/console/customers/{book['initech'].public_id}/contacts", {
        "name": "Peter", "email": "", "phone": "052 not a number", "language": "en",
        "channels": ["email", "sms"],
    })  # fmt: skip
    page = r.content.decode()
    assert r.status_code == 422
    assert 'id="id_phone-errors"' in page and "international form" in page
    assert 'id="id_email-errors"' in page and 'value="Peter"' in page
    r = manager.post(f"/console/customers/{book['initech'].public_id}/contacts", {
        "name": "Peter", "email": "", "phone": "052 not a number", "language": "en",
        "channels": ["email", "sms"],
    }, HTTP_ACCEPT_LANGUAGE="he")  # fmt: skip
    phone = r.content.decode().split('id="id_phone-errors"')[1].split("</")[0]
    assert "בפורמט בינלאומי" in phone  # the reader's language, by the field
    r = manager.post("/console/customers/new", {"name": "initech", "plan": "standard"})
    assert r.status_code == 422 and 'id="id_name-errors"' in r.content.decode()
    # In Hebrew the refusal's words are not the English ones the screen once matched: it goes
    # by the field the service names.
    r = manager.post(
        "/console/customers/new", {"name": "initech", "plan": "standard"},
        HTTP_ACCEPT_LANGUAGE="he",
    )  # fmt: skip
    page = r.content.decode()
    assert r.status_code == 422 and 'dir="rtl"' in page
    errors = page[page.index('id="id_name-errors"') :]
    assert errors.index("כבר קיים לקוח בשם") < errors.index("</")  # in Hebrew, under the name


def test_a_large_customer_file_is_followed_while_a_worker_imports_it(book):
    manager = signed_in("avi", "account_manager")
    rows = "".join(f"Company {i},business,,,,,Person {i},,p{i}@example.com,,en,email\n"
                   for i in range(30))  # fmt: skip
    data = ("customer,plan,strategic,contract_ref,account_manager,components,contact_name,role,"
            "email,phone,language,channels\n" + rows).encode()  # fmt: skip
    with overridden(import_background_rows=10):
        r = manager.post("/console/customers/import", {"file": SimpleUploadedFile("c.csv", data)})
    job = ImportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/console/customers/import/{job.public_id}"
    waiting = manager.get(r["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in waiting and "<progress" in waiting
    run_worker()
    done = manager.get(r["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and "Imported." in done
    assert 'class="n created-customers">30<' in done
    assert Customer.objects.filter(name__startswith="Company ").count() == 30


def test_a_token_is_shown_once_never_cached_and_revoked(comms, dana):
    r = comms.post("/console/tokens/new", {"name": "status bot", "scopes": ["read"], "days": "30"})
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    secret = r.content.decode().split('id="token">')[1].split("<")[0]
    assert secret.startswith("tdg_")
    listing = comms.get("/console/tokens/").content.decode()
    assert secret not in listing and f"tdg_…{secret[-4:]}" in listing
    row = ApiToken.objects.get(name="status bot")
    assert comms.post(f"/console/tokens/{row.public_id}/revoke").status_code == 302
    row.refresh_from_db()
    assert row.revoked_by == "dana"
    r = comms.post("/console/tokens/new", {"name": "x", "scopes": ["admin"], "days": "30"})
    assert r.status_code == 422  # only admins make admin tokens; the box is not even offered
    assert 'value="admin"' not in r.content.decode()


def test_the_people_screens_speak_hebrew_right_to_left(comms, book):
    comms.post("/i18n/setlang/", {"language": "he", "next": "/console/"})
    for url, words in (
        ("/console/subscribers/", "מנויים"),
        (f"/console/subscribers/{book['erez'].public_id}", "מה נמסר להם"),
        ("/console/customers/", "לקוחות"),
        (f"/console/contacts/{book['bill'].pk}", "מה נמסר להם"),
        ("/console/disabled/", "יעדים מושבתים"),
        ("/console/tokens/", "יצירת אסימון"),
    ):
        page = comms.get(url).content.decode()
        assert 'dir="rtl"' in page and words in page, url
