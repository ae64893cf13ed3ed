"""Honesty and approval through /api/v1: warnings as 422 with code, message and field; overrides
as {code: reason}; word lists and approval editable; drafts approved or sent back."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tidings.core.auth import issue_token
from tidings.incidents.models import IncidentUpdate


@pytest.fixture
def commander(omer):
    token = issue_token(user=omer, name="test")

    def call(method: str, path: str, body=None, **headers):
        fn = getattr(Client(), method.lower())
        kw = {"HTTP_AUTHORIZATION": f"Bearer {token}", **headers}
        if body is not None:
            kw.update(data=json.dumps(body), content_type="application/json")
        return fn(f"/api/v1{path}", **kw)

    return call


def test_create_answers_422_with_the_warnings_then_accepts_overrides(api, now, catalog):
    body = {"title": "Login errors", "body": {"en": "A minor glitch.", "he": "תקלה קטנה."},
            "confidence": "low"}  # fmt: skip
    r = api.call("POST", "/incidents", body)
    assert r.status_code == 422, r.content
    w = r.json()["warnings"]
    assert [(x["code"], x["field"]) for x in w] == [("minimising_words", "body")]
    assert "minor glitch" in w[0]["message"]
    r = api.call("POST", "/incidents", body | {"overrides": {"minimising_words": "Truly tiny."}})
    assert r.status_code == 201, r.content
    first = r.json()["updates"][0]
    assert first["overrides"] == {"minimising_words": "Truly tiny."}
    assert first["confidence"] == "low"


def test_warnings_are_in_the_readers_language(commander, now, outage):
    path = f"/incidents/{outage.public_id}/updates"
    en = commander("POST", path, {"body": "Only a few users."}, HTTP_ACCEPT_LANGUAGE="en")
    he = commander(
        "POST",
        path,
        {"body": {"en": "A third party.", "he": "צד שלישי."}},
        HTTP_ACCEPT_LANGUAGE="he",
    )
    assert en.status_code == he.status_code == 422
    assert "Minimising" in en.json()["warnings"][0]["message"]
    assert "צד שלישי" in he.json()["warnings"][0]["message"]
    assert "Minimising" not in he.json()["warnings"][0]["message"]


def test_update_with_a_blank_reason_is_still_refused(api, now, outage):
    path = f"/incidents/{outage.public_id}/updates"
    r = api.call("POST", path, {"body": "Briefly down.", "overrides": {"minimising_words": " "}})
    assert r.status_code == 422
    r = api.call("POST", path, {"body": "Briefly down.", "overrides": {"minimising_words": "ok"}})
    assert r.status_code == 201
    assert IncidentUpdate.objects.get(public_id=r.json()["id"]).overrides == {
        "minimising_words": "ok"
    }


def test_word_lists_read_and_edited(api, commander, now):
    lists = {x["language"]: x["words"] for x in api.call("GET", "/honesty-words").json()}
    assert "minor glitch" in lists["en"] and "צד שלישי" in lists["he"]
    r = api.call("PUT", "/honesty-words/he", {"words": ["תקלונת", "", "תקלונת"]})
    assert r.status_code == 200 and r.json()["words"] == ["תקלונת"]
    assert api.call("PUT", "/honesty-words/fr", {"words": ["x"]}).status_code == 422


def test_only_leads_set_approval(api, commander, now):
    assert api.call("PUT", "/approval", {"severities": ["SEV1"]}).status_code == 403
    r = commander("PUT", "/approval", {"severities": ["SEV2", "SEV1"]})
    assert r.status_code == 200 and r.json()["severities"] == ["SEV1", "SEV2"]
    assert api.call("GET", "/approval").json()["severities"] == ["SEV1", "SEV2"]
    assert commander("PUT", "/approval", {"severities": ["SEV9"]}).status_code == 422


def test_a_draft_waits_then_the_commander_approves(api, commander, now, outage):
    commander("PUT", "/approval", {"severities": ["SEV2"]})
    r = api.call(
        "POST", f"/incidents/{outage.public_id}/updates",
        {"status": "identified", "body": "We found a bad deploy."},
    )  # fmt: skip
    assert r.status_code == 202, r.content
    draft = r.json()
    assert draft["state"] == "pending" and draft["body"] == {"en": "We found a bad deploy."}
    assert api.call("GET", f"/incidents/{outage.public_id}").json()["status"] == "investigating"
    listed = api.call("GET", f"/incidents/{outage.public_id}/drafts").json()
    assert [d["id"] for d in listed] == [draft["id"]]
    assert api.call("POST", f"/drafts/{draft['id']}/approve").status_code == 403
    r = commander("POST", f"/drafts/{draft['id']}/approve")
    assert r.status_code == 201, r.content
    incident = api.call("GET", f"/incidents/{outage.public_id}").json()
    assert incident["status"] == "identified"
    assert incident["updates"][0]["body"] == {"en": "We found a bad deploy."}
    assert commander("POST", f"/drafts/{draft['id']}/approve").status_code == 409


def test_a_draft_sent_back_with_a_note(api, commander, now, outage):
    commander("PUT", "/approval", {"severities": ["SEV2"]})
    d = api.call("POST", f"/incidents/{outage.public_id}/updates", {"body": "Fixing."}).json()
    assert commander("POST", f"/drafts/{d['id']}/return", {"note": " "}).status_code == 422
    r = commander("POST", f"/drafts/{d['id']}/return", {"note": "Say what you fix."})
    assert r.status_code == 200 and r.json()["state"] == "returned"
    assert api.call("GET", f"/incidents/{outage.public_id}/drafts").json() == []
    every = api.call("GET", f"/incidents/{outage.public_id}/drafts?all=true").json()
    assert every[0]["note"] == "Say what you fix."


def test_the_data_impact_flag_is_set_by_patch(api, now, outage):
    r = api.call("PATCH", f"/incidents/{outage.public_id}", {"data_impact": True})
    assert r.status_code == 200 and r.json()["data_impact"] is True
    r = api.call(
        "POST", f"/incidents/{outage.public_id}/updates", {"status": "resolved", "body": "Fixed."}
    )
    assert [w["code"] for w in r.json()["warnings"]] == ["data_impact_unstated"]
