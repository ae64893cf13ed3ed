"""Message templates: every phase ships in English and Hebrew, fills itself from the incident,
and never lets a slot only a person can fill go out empty."""

from datetime import timedelta

import pytest

from tidings.comms import rules
from tidings.comms.defaults import DEFAULTS
from tidings.comms.models import MessageTemplate
from tidings.incidents.models import Incident

PHASES = {
    "investigating", "identified", "still_working", "monitoring", "resolved",
    "maintenance_scheduled", "maintenance_started", "maintenance_completed",
    "maintenance_extended", "maintenance_cancelled",
}  # fmt: skip


def test_every_phase_ships_in_both_languages_with_the_same_placeholders():
    assert set(DEFAULTS) == PHASES
    for t in DEFAULTS.values():
        assert set(t.bodies) == {"en", "he"} and set(t.names) == {"en", "he"}
        assert set(rules.placeholders(t.bodies["en"])) == set(rules.placeholders(t.bodies["he"]))
        assert (
            "next_update_time" in t.bodies["en"] or t.kind == "maintenance" or t.key == "resolved"
        )


def test_only_the_cause_the_remedy_and_the_data_statement_are_left_to_the_author():
    slots = {
        key: sorted(set(rules.placeholders(t.bodies["en"])) - set(rules.KNOWN))
        for key, t in DEFAULTS.items()
    }
    assert slots == {
        "investigating": [], "identified": ["cause", "remediation"], "still_working": [],
        "monitoring": [], "resolved": ["data_statement"], "maintenance_scheduled": [],
        "maintenance_started": [], "maintenance_completed": [],
        "maintenance_extended": [], "maintenance_cancelled": [],
    }  # fmt: skip


def test_filling_replaces_known_values_and_leaves_slots_visible():
    text = "{title} since {start_time}: {cause}."
    filled = rules.fill(text, {"title": "Checkout failing", "start_time": "", "cause": ""})
    assert filled == "Checkout failing since {start_time}: {cause}."
    assert rules.unfilled(filled) == ["start_time", "cause"]
    assert rules.check_body("Broken {cause") == [
        "a placeholder is not closed: “{cause”; write {name}"
    ]
    assert rules.check_body("See {Data Statement} here") == [
        "“{Data Statement}” is not a placeholder: write {name} in lowercase letters, digits and _"
    ]
    assert rules.check_body("  ") == ["the text is empty"]
    assert rules.check_body("{title} is {cause}") == []


def test_dana_declares_from_the_investigating_template_in_both_languages(
    api, lead_api, now, catalog, site_settings
):
    names = {"name": {"en": "API", "he": "ממשק API"}}  # a lead names components
    assert lead_api.call("PATCH", f"/components/{catalog['API']}", names).status_code == 200
    r = api.call(
        "POST",
        "/incidents",
        {
            "title": {"en": "Checkout failing", "he": "התשלום נכשל"},
            "severity": "SEV1",
            "template": "investigating",
            "components": {catalog["API"]: "major_outage"},
        },
    )
    assert r.status_code == 201, r.json()
    inc = r.json()
    body = inc["updates"][0]["body"]
    assert body["en"] == (
        "We are investigating a problem: Checkout failing. It affects API since 2026-11-23 "
        "12:00 UTC. We do not know the cause yet, and there is no workaround yet. We will post "
        "the next update by 2026-11-23 12:20 UTC, even if nothing has changed. Live updates: "
        f"https://status.acme.test/incidents/{inc['id']}"
    )
    assert "התשלום נכשל" in body["he"] and "ממשק API" in body["he"]
    assert f"https://status.acme.test/he/incidents/{inc['id']}" in body["he"]
    assert inc["status"] == "investigating"


def test_one_click_still_working_keeps_the_status_and_promises_the_next_update(api, now, outage):
    r = api.call("POST", f"/incidents/{outage.public_id}/updates", {"template": "still_working"})
    assert r.status_code == 201, r.json()
    assert r.json()["status"] == "investigating"
    assert r.json()["body"]["en"].startswith("We are still working to restore API.")
    assert "2026-11-23 12:30 UTC" in r.json()["body"]["en"]


def test_a_resolved_message_without_a_word_about_data_is_refused(api, now, outage):
    path = f"/incidents/{outage.public_id}/updates"
    r = api.call("POST", path, {"template": "resolved"})
    assert r.status_code == 422 and "{data_statement}" in r.json()["detail"]
    assert Incident.objects.get(pk=outage.pk).status == "investigating"
    r = api.call(
        "POST",
        path,
        {
            "template": "resolved",
            "template_values": {
                "data_statement": {"en": "No data was lost.", "he": "לא אבד מידע."}
            },
        },
    )
    assert r.status_code == 201, r.json()
    assert r.json()["status"] == "resolved"
    assert "No data was lost." in r.json()["body"]["en"]
    assert "לא אבד מידע." in r.json()["body"]["he"]


def test_staff_edit_a_template_and_reset_it(api, now, outage):
    r = api.call(
        "PUT",
        "/templates/still_working",
        {
            "names": "Still working",
            "bodies": {
                "en": "Still on it ({components}). Next: {next_update_time}.",
                "he": "עדיין.",
            },
        },
    )
    assert r.status_code == 200 and r.json()["edited"] is True
    r = api.call("POST", f"/incidents/{outage.public_id}/updates", {"template": "still_working"})
    assert r.json()["body"]["en"] == "Still on it (API). Next: 2026-11-23 12:30 UTC."
    r = api.call("DELETE", "/templates/still_working")
    assert r.status_code == 200 and r.json()["edited"] is False
    assert r.json()["bodies"] == DEFAULTS["still_working"].bodies


def test_a_template_of_staffs_own_is_added_listed_and_deleted(api):
    r = api.call(
        "PUT",
        "/templates/payment-provider",
        {"names": "Provider down", "bodies": "Our payment provider {provider} is down.",
         "status": "identified"},
    )  # fmt: skip
    assert r.status_code == 200 and r.json()["slots"] == ["provider"]
    assert "payment-provider" in [t["key"] for t in api.call("GET", "/templates").json()]
    assert api.call("DELETE", "/templates/payment-provider").status_code == 204
    assert api.call("GET", "/templates/payment-provider").status_code == 404


def test_a_broken_or_emptied_template_is_refused_naming_the_language(api):
    from tidings.comms import services
    from tidings.core.errors import InvalidInput

    broken = {"names": "Still working", "bodies": {"en": "Still on it {components", "he": "עדיין."}}
    r = api.call("PUT", "/templates/still_working", broken)
    assert r.status_code == 422
    assert (
        r.json()["detail"] == "bodies.en: a placeholder is not closed: “{components”; write {name}"
    )
    # a shipped template keeps its Hebrew: customers who read Hebrew would get nothing
    with pytest.raises(InvalidInput, match=r"bodies\.he: the text is empty") as refused:
        services.save_template(
            actor="dana", key="still_working", names="x", bodies={"en": "Still."}
        )
    assert refused.value.field == "body_he"
    with pytest.raises(InvalidInput, match="name") as unnamed:
        services.save_template(actor="dana", key="mine", names={}, bodies={"en": "Hi."})
    assert unnamed.value.field == "name_en"
    assert not MessageTemplate.objects.exists()


def test_a_template_is_tried_on_a_sample_or_an_open_incident_without_writing(now, catalog, outage):
    from tidings.comms import services

    typed = rules.Template(
        key="x", kind="incident", status="identified", names={"en": "X"},
        bodies={"en": "{title} ({components}) since {start_time}: {cause}", "he": "{title}: {cause}"},
    )  # fmt: skip
    sample = services.try_on(template=typed)
    assert (
        sample["en"]
        == "Checkout fails for card payments (API, Website) since 2026-11-23 11:35 UTC: {cause}"
    )
    assert sample["he"] == "התשלום בכרטיס אשראי נכשל: {cause}"
    real = services.try_on(template=typed, incident=outage)
    assert real["he"] == "שגיאות מוגברות ב-API: {cause}" and Incident.objects.count() == 1
    assert outage.updates.count() == 1


def test_compose_previews_a_message_without_writing_anything(api, now, catalog):
    r = api.call(
        "POST",
        "/templates/identified/compose",
        {"title": "Checkout failing", "components": [catalog["API"]],
         "values": {"cause": "a certificate expired"}},
    )  # fmt: skip
    assert r.status_code == 200
    assert r.json()["missing"] == {"en": ["remediation"], "he": ["remediation"]}
    assert "a certificate expired" in r.json()["body"]["en"]
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"template": "maintenance_started"}, "for a maintenance"),
        ({"template": "nope"}, "no template 'nope'"),
        ({"template": "still_working", "template_values": {"title": "x"}}, "filled by Tidings"),
    ],
)
def test_a_wrong_template_request_is_explained(api, now, outage, payload, message):
    r = api.call("POST", f"/incidents/{outage.public_id}/updates", payload)
    assert r.status_code in (404, 422) and message in r.json()["detail"]


def test_a_maintenance_is_announced_from_its_template_by_default(api, now, catalog):
    start = now + timedelta(days=1)
    r = api.call(
        "POST",
        "/maintenances",
        {"title": "DB upgrade", "components": [catalog["Email"]],
         "scheduled_for": start.isoformat(),
         "scheduled_until": (start + timedelta(hours=2)).isoformat()},
    )  # fmt: skip
    assert r.status_code == 201, r.json()
    assert r.json()["updates"][0]["body"]["en"] == (
        "We will carry out planned maintenance on Email from 2026-11-24 12:00 UTC to "
        "2026-11-24 14:00 UTC. During this time Email may be briefly unavailable. We will post "
        "here when it starts and when it is complete."
    )
