"""The audit log: every change, export, sign-in, role change and token use is recorded (token
use at most once a minute per token); leads filter it, page through it and export it, in the
console and the API, and the export is recorded too."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import NOW
from tidings.core import clock
from tidings.core.auth import issue_token
from tidings.core.models import Event
from tidings.staff.models import StaffProfile
from tidings.staff.services import role_of


def _kinds(**filters: Any) -> list[str]:
    return list(Event.objects.filter(**filters).order_by("id").values_list("kind", flat=True))


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _csv(response: Any) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_a_token_use_is_recorded_once_a_minute(dana, client, now):
    token = issue_token(user=dana, name="wallboard", scopes=["read"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for _ in range(3):
        assert client.get("/api/v1/incidents", **auth).status_code == 200
    with clock.frozen(NOW + timedelta(seconds=61)):
        client.get("/api/v1/components", **auth)
    used = Event.objects.filter(kind="token.used").order_by("id")
    assert [(e.actor, e.data["path"]) for e in used] == [
        ("dana", "/incidents"), ("dana", "/components"),
    ]  # fmt: skip


def test_signing_in_and_out_and_a_failed_sign_in_are_recorded(dana, now):
    client = Client()
    client.post("/console/login", {"username": "dana", "password": "wrong"})
    client.post("/console/login", {"username": "dana", "password": "pw"})
    client.post("/console/logout")
    assert _kinds(subject_type="staff") == [
        "staff.sign_in_failed", "staff.signed_in", "staff.signed_out",
    ]  # fmt: skip
    failed = Event.objects.get(kind="staff.sign_in_failed")
    assert failed.actor == "anonymous" and failed.data["username"] == "dana"
    assert "wrong" not in str(failed.data)


def test_an_export_no_service_records_is_recorded_by_its_action(dana, rina, now):
    assert _signed_in(dana).get("/api/v1/subscribers/export").status_code == 200
    assert _signed_in(rina).get("/console/customers/export").status_code == 200
    api, console = Event.objects.filter(kind__in=["api.export", "console.export"]).order_by("id")
    assert (api.kind, api.actor, api.data["action"]) == ("api.export", "dana", "subscribers.export")
    assert (console.actor, console.data["action"]) == ("rina", "customers.export")


def test_a_change_a_service_records_is_not_recorded_twice(lead_api, catalog, now):
    r = lead_api.call("PATCH", f"/components/{catalog['API']}", {"status": "major_outage"})
    assert r.status_code == 200
    assert not Event.objects.filter(kind="api.write").exists()
    assert Event.objects.filter(kind="component.status_changed", actor="rina").exists()


def test_leads_filter_and_page_the_log_in_the_api_and_others_are_refused(now, dana, omer, outage):
    for i in range(7):
        with clock.frozen(NOW + timedelta(days=1, minutes=i)):
            Event.objects.create(at=clock.now(), actor="omer", kind="incident.changed",
                                 subject_type="incident", subject_id=outage.public_id)  # fmt: skip
    lead = _signed_in(omer)
    r = lead.get("/api/v1/audit", {"actor": "omer", "kind": "incident.", "limit": 5})
    page = r.json()
    assert r.status_code == 200 and page["total"] == 7 and len(page["events"]) == 5
    assert page["events"][0]["at"] > page["events"][-1]["at"]  # newest first
    r = lead.get("/api/v1/audit", {"actor": "omer", "kind": "incident.", "offset": 5})
    assert len(r.json()["events"]) == 2
    since = (NOW + timedelta(days=1, minutes=5)).isoformat()
    r = lead.get("/api/v1/audit", {"subject": f"incident:{outage.public_id}", "since": since})
    assert r.json()["total"] == 2, r.json()
    refused = _signed_in(dana).get("/api/v1/audit")
    assert refused.status_code == 403
    assert "allowed: admin, commander" in refused.json()["detail"]


def test_the_csv_export_holds_the_filtered_log_and_is_itself_logged(now, omer, outage):
    lead = _signed_in(omer)
    r = lead.get("/api/v1/audit/export", {"kind": "incident.created"})
    rows = _csv(r)
    assert r["Content-Type"].startswith("text/csv")
    assert [(x["kind"], x["subject_id"]) for x in rows] == [("incident.created", outage.public_id)]
    exported = Event.objects.get(kind="audit.exported")
    assert exported.actor == "omer" and exported.data["filters"] == {"kind": "incident.created"}
    assert exported.data["rows"] == 1


def test_the_audit_screen_filters_pages_and_exports(now, omer, dana, outage):
    for i in range(60):
        Event.objects.create(at=NOW + timedelta(days=2, seconds=i), actor="bot",
                             kind="monitor.checked", subject_type="monitor", subject_id=str(i))  # fmt: skip
    lead = _signed_in(omer)
    page = lead.get("/console/audit", {"actor": "bot"}).content.decode()
    assert page.count('data-kind="monitor.checked"') == 50 and "Page 1 of 2" in page
    second = lead.get("/console/audit", {"actor": "bot", "page": 2}).content.decode()
    assert second.count('data-kind="monitor.checked"') == 10
    day = (NOW + timedelta(days=2)).date().isoformat()
    none = lead.get("/console/audit", {"until": (NOW.date()).isoformat(), "actor": "bot"})
    assert 'data-kind="monitor.checked"' not in none.content.decode()
    wrong = lead.get("/console/audit", {"since": day, "until": NOW.date().isoformat()})
    assert wrong.status_code == 422 and "The end comes before the start." in wrong.content.decode()
    assert 'value="' + day + '"' in wrong.content.decode()  # what was typed stays
    rows = _csv(lead.get("/console/audit/export", {"actor": "bot", "since": day}))
    assert len(rows) == 60
    assert Event.objects.get(kind="audit.exported").data["filters"]["actor"] == "bot"
    assert _signed_in(dana).get("/console/audit").status_code == 403
    assert "/console/audit" not in _signed_in(dana).get("/console/").content.decode()


def test_the_audit_screen_shows_details_as_the_export_does(now, omer):
    Event.objects.create(at=NOW, actor="bot", kind="probe.seen", subject_type="monitor",
                         subject_id="m1", data={"public": False, "where": "תל אביב"})  # fmt: skip
    page = _signed_in(omer).get("/console/audit", {"actor": "bot"}).content.decode()
    assert "{&quot;public&quot;: false, &quot;where&quot;: &quot;תל אביב&quot;}" in page
    assert "False" not in page


def test_an_admin_changes_a_role_in_the_console_and_it_is_logged(rina, dana, omer, now):
    admin = _signed_in(rina)
    r = admin.post("/console/staff/dana/role", {"dana-role": "support"})
    assert r.status_code == 302
    assert role_of(User.objects.get(username="dana")) == "support"
    change = Event.objects.get(kind="staff.changed")
    assert change.actor == "rina" and change.data["fields"] == {
        "role": ["communications", "support"]
    }
    page = _signed_in(omer).get("/console/staff").content.decode()
    assert "Support" in page and "/console/staff/dana/role" not in page  # a commander reads only
    assert (
        _signed_in(omer).post("/console/staff/dana/role", {"dana-role": "admin"}).status_code == 403
    )


def test_the_last_admin_keeps_the_role_and_a_superuser_is_always_one(rina, db):
    admin = _signed_in(rina)
    r = admin.post("/console/staff/rina/role", {"rina-role": "viewer"})
    assert r.status_code == 422 and "last administrator" in r.content.decode()
    root = User.objects.create_superuser("root", "root@acme.test", "pw")
    r = admin.patch("/api/v1/staff/root", {"role": "viewer"}, content_type="application/json")
    assert r.status_code == 422 and "superuser" in r.json()["detail"]
    assert role_of(root) == "admin"
    r = admin.patch("/api/v1/staff/rina", {"role": "viewer"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["role"] == "viewer"  # root is an admin still


def test_the_staff_api_lists_roles_and_only_admins_change_them(rina, omer, dana):
    listed = {s["username"]: s["role"] for s in _signed_in(omer).get("/api/v1/staff").json()}
    assert listed == {"dana": "communications", "omer": "commander", "rina": "admin"}
    r = _signed_in(omer).patch("/api/v1/staff/dana", {"role": "admin"},
                               content_type="application/json")  # fmt: skip
    assert r.status_code == 403
    r = _signed_in(rina).patch("/api/v1/staff/dana", {"role": "boss"},
                               content_type="application/json")  # fmt: skip
    assert r.status_code == 422 and "unknown role" in r.json()["detail"]


@pytest.mark.parametrize("role,status", [("admin", 200), ("commander", 302)])
def test_the_django_admin_is_for_administrators_only(db, role, status):
    user = User.objects.create_user(f"u-{role}", password="pw", is_staff=True)
    StaffProfile.objects.create(user=user, role=role)
    assert _signed_in(user).get("/admin/").status_code == status  # 302: to the admin's sign-in
