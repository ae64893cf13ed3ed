"""The honesty screens without a browser: warnings beside their field keep what was typed, an
override needs a reason, the word lists and the approval settings are edited by whom they may
be, and a draft is approved or sent back from the desk."""

from __future__ import annotations

from tidings.incidents import checking, drafts
from tidings.incidents.models import Incident, IncidentUpdate, UpdateDraft


def test_declaring_with_a_warning_keeps_the_form(client, dana, now, catalog):
    client.force_login(dana)
    form = {
        "title_en": "Checkout down", "severity": "SEV2", "audience": "affected",
        "body_en": "A minor glitch in checkout.", "data_impact": "on", "action": "publish",
        "confidence": "low",
    }  # fmt: skip
    r = client.post("/console/declare", form)
    assert r.status_code == 422
    page = r.content.decode()
    assert 'data-warning="minimising_words"' in page and "minor glitch" in page
    assert "A minor glitch in checkout.</textarea>" in page
    assert 'value="Checkout down"' in page
    assert not Incident.objects.exists()
    r = client.post("/console/declare", form | {"override_minimising_words": "1"})
    assert r.status_code == 422 and "Give a reason to publish anyway." in r.content.decode()
    r = client.post(
        "/console/declare",
        form | {"override_minimising_words": "1", "reason_minimising_words": "Our words."},
    )
    assert r.status_code == 302
    incident = Incident.objects.get()
    assert incident.data_impact is True
    first = incident.updates.get()
    assert first.overrides == {"minimising_words": "Our words."} and first.confidence == "low"


def test_warnings_read_in_hebrew(client, dana, now, outage):
    client.force_login(dana)
    r = client.post(
        f"/console/incidents/{outage.public_id}/post",
        {"body_en": "x", "body_he": "מספר קטן של משתמשים נפגע.", "action": "publish",
         "audience": "affected", "based_on": outage.updates.get().public_id},
        HTTP_ACCEPT_LANGUAGE="he",
    )  # fmt: skip
    assert r.status_code == 422
    page = r.content.decode()
    assert "מילים מקטינות או מאשימות" in page and "לפרסם בכל זאת" in page


def test_the_honesty_screen_words_and_approval(client, dana, omer, now):
    client.force_login(dana)
    r = client.get("/console/honesty")
    assert r.status_code == 200 and "minor glitch" in r.content.decode()
    r = client.post(
        "/console/honesty", {"form": "words", "words_en": "hiccup\n\nblip", "words_he": "שיהוק"}
    )
    assert r.status_code == 302
    assert checking.word_lists() == {"en": ["hiccup", "blip"], "he": ["שיהוק"]}
    r = client.post("/console/honesty", {"form": "approval", "severity": ["SEV1"]})
    assert r.status_code == 403 and drafts.required_severities() == set()
    client.force_login(omer)
    r = client.post("/console/honesty", {"form": "approval", "severity": ["SEV1", "SEV2"]})
    assert r.status_code == 302 and drafts.required_severities() == {"SEV1", "SEV2"}


def test_a_draft_from_the_desk_is_approved_or_sent_back(client, dana, omer, now, outage):
    drafts.set_required(actor="omer", severities=["SEV2"])
    client.force_login(dana)
    latest = outage.updates.get().public_id
    post = {"body_en": "We found the cause.", "action": "publish", "audience": "affected",
            "based_on": latest, "status": "identified"}  # fmt: skip
    r = client.post(f"/console/incidents/{outage.public_id}/post", post)
    assert r.status_code == 302 and r["Location"].endswith("#drafts")
    first = UpdateDraft.objects.get()
    r = client.get(f"/console/incidents/{outage.public_id}/drafts")
    assert (
        "We found the cause." in r.content.decode() and "button.approve" not in r.content.decode()
    )
    assert "primary approve" not in r.content.decode()
    assert client.post(f"/console/drafts/{first.public_id}/approve").status_code == 403

    client.force_login(omer)
    r = client.post(f"/console/drafts/{first.public_id}/return", {"note": "Name the cause."})
    assert r.status_code == 302
    first.refresh_from_db()
    assert first.state == "returned" and first.note == "Name the cause."

    client.force_login(dana)
    client.post(f"/console/incidents/{outage.public_id}/post", post | {"body_en": "A bad deploy."})
    second = UpdateDraft.objects.get(state="pending")
    client.force_login(omer)
    assert (
        "Name the cause." in client.get(f"/console/incidents/{outage.public_id}").content.decode()
    )
    r = client.post(f"/console/drafts/{second.public_id}/approve")
    assert r.status_code == 302
    assert IncidentUpdate.objects.filter(incident=outage, bodies__en="A bad deploy.").exists()
