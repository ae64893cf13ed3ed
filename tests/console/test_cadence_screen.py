"""The cadence policy screen and API, and who owns an incident's updates."""

from __future__ import annotations

from datetime import timedelta

from tidings.core import clock
from tidings.incidents import cadence_store
from tidings.incidents import services as incidents


def test_staff_change_a_severity_cadence_and_a_wrong_value_stays_next_to_its_field(
    client, dana, now, catalog
):
    client.force_login(dana)
    page = client.get("/console/cadence")
    assert page.status_code == 200
    assert 'name="first_minutes" inputmode="numeric" value="20"' in page.content.decode()
    bad = {"first_minutes": "3", "first_period_minutes": "120", "then_minutes": "60",
           "max_gap_minutes": "240", "action": "save"}  # fmt: skip
    r = client.post("/console/cadence/SEV1", bad)
    assert r.status_code == 422
    html = r.content.decode()
    assert 'name="first_minutes" inputmode="numeric" value="3"' in html  # what was typed
    assert 'value="3"></label><p class="field-error" role="alert">Whole minutes' in html
    r = client.post("/console/cadence/SEV1", {**bad, "first_minutes": "15"})
    assert r.status_code == 302
    assert cadence_store.policy_for("SEV1").first_minutes == 15
    inc = incidents.create_incident(actor="dana", title="Down", severity="SEV1", body="Down.")
    assert inc.next_update_due_at == now + timedelta(minutes=15)
    client.post("/console/cadence/SEV1", {"action": "reset"})
    assert cadence_store.policy_for("SEV1").first_minutes == 20


def test_the_cadence_screen_speaks_hebrew(client, dana, catalog):
    client.force_login(dana)
    html = client.get("/console/cadence", HTTP_ACCEPT_LANGUAGE="he").content.decode()
    assert "קצב העדכונים" in html


def test_the_policy_api_lists_sets_and_resets(api, catalog):
    r = api.call("GET", "/cadence")
    assert r.status_code == 200
    sev1 = next(p for p in r.json() if p["severity"] == "SEV1")
    assert sev1 == {"severity": "SEV1", "first_minutes": 20, "first_period_minutes": 120,
                    "then_minutes": 60, "max_gap_minutes": 240, "default": True}  # fmt: skip
    r = api.call("PUT", "/cadence/none", {"first_minutes": 45})
    assert r.status_code == 200 and r.json()["first_minutes"] == 45 and not r.json()["default"]
    assert api.call("PUT", "/cadence/SEV2", {"then_minutes": 999}).status_code == 422
    assert api.call("PUT", "/cadence/SEV7", {}).status_code == 404
    assert api.call("DELETE", "/cadence/none").json()["default"] is True


def test_a_viewer_reads_the_cadence_but_cannot_change_it(client, catalog):
    from django.contrib.auth.models import User

    from tidings.staff.models import StaffProfile

    vera = User.objects.create_user("vera", "vera@acme.test", "pw", is_staff=True)
    StaffProfile.objects.create(user=vera, role="viewer")
    client.force_login(vera)
    assert client.get("/console/cadence").status_code == 200
    assert client.post("/console/cadence/SEV1", {"first_minutes": "5"}).status_code == 403


def test_the_desk_names_the_owner_and_the_commander(client, dana, omer, now, outage):
    client.force_login(dana)
    html = client.get(f"/console/incidents/{outage.public_id}").content.decode()
    assert 'class="owner">dana<' in html and 'class="commander">omer<' in html
    r = client.post(f"/console/incidents/{outage.public_id}/owners",
                    {"comms_owner": "omer", "commander": "nobody"})  # fmt: skip
    assert r.status_code == 422 and "Choose a member of staff" in r.content.decode()
    r = client.post(f"/console/incidents/{outage.public_id}/owners",
                    {"comms_owner": "omer", "commander": "dana"})  # fmt: skip
    assert r.status_code == 302
    outage.refresh_from_db()
    assert (outage.comms_owner, outage.commander) == ("omer", "dana")
    with clock.frozen(outage.next_update_due_at + timedelta(minutes=2)):
        home = client.get("/console/").content.decode()
    assert "Overdue by 2 min" in home


def test_the_api_sets_owner_and_commander_and_refuses_strangers(api, omer, outage):
    path = f"/incidents/{outage.public_id}"
    r = api.call("PATCH", path, {"comms_owner": "omer"})
    assert r.status_code == 200 and r.json()["comms_owner"] == "omer"
    assert api.call("PATCH", path, {"commander": "ghost"}).status_code == 422


def test_the_late_update_card_speaks_hebrew(client, dana, now, outage):
    client.force_login(dana)
    with clock.frozen(outage.next_update_due_at - timedelta(minutes=3)):
        html = client.get(
            f"/console/incidents/{outage.public_id}", HTTP_ACCEPT_LANGUAGE="he"
        ).content.decode()
    assert 'id="cadence" data-state="soon"' in html
    assert "בעוד 3 דק" in html and "הובטח עד 12:30 UTC" in html
