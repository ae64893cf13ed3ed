"""The staff API: what Dana does during an incident, and what happens when she gets it wrong."""

from tidings.components.models import Component
from tidings.core.models import Event
from tidings.incidents.models import Incident, IncidentUpdate


def test_the_api_refuses_requests_without_a_token(db, client):
    r = client.get("/api/v1/components")
    assert r.status_code == 401
    assert "Bearer" in r.json()["detail"]


def test_a_token_of_a_non_staff_user_is_refused(db, client):
    from django.contrib.auth.models import User

    from tidings.core.auth import issue_token

    token = issue_token(user=User.objects.create_user("erez"), name="t")
    assert client.get("/api/v1/components", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_openapi_docs_are_served(db, client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert "/api/v1/incidents/{incident_id}/updates" in r.json()["paths"]


def test_dana_declares_updates_and_resolves_an_incident(api, catalog):
    r = api.call(
        "POST",
        "/incidents",
        {
            "title": "Checkout failing",
            "severity": "SEV1",
            "body": {
                "en": "Checkout fails for some customers.",
                "he": "התשלום נכשל לחלק מהלקוחות.",
            },
            "components": {catalog["Website"]: "major_outage"},
        },
    )
    assert r.status_code == 201, r.content
    inc = r.json()
    assert inc["status"] == "investigating" and inc["impact"] == "critical"
    assert inc["acknowledged_at"] is not None and inc["next_update_due_at"] is not None
    r = api.call(
        "POST",
        f"/incidents/{inc['id']}/updates",
        {"status": "resolved", "body": "Fixed.", "components": {catalog["Website"]: "operational"}},
    )
    assert r.status_code == 201, r.content
    assert r.json()["affected_components"][0]["new_status"] == "operational"
    timeline = api.call("GET", f"/incidents/{inc['id']}/events").json()
    assert [e["kind"] for e in timeline][-2:] == [
        "incident.status_changed",
        "incident.update_posted",
    ]
    assert all(e["actor"] == "dana" for e in timeline)


def test_an_invalid_transition_is_a_409_with_a_reason(api, catalog):
    window = {"scheduled_for": "2030-01-01T02:00:00Z", "scheduled_until": "2030-01-01T04:00:00Z"}
    m = api.call("POST", "/maintenances", {"title": "Upgrade", "body": "Planned.", **window})
    updates = f"/incidents/{m.json()['id']}/updates"
    assert api.call("POST", updates, {"status": "cancelled", "body": "No."}).status_code == 201
    r = api.call("POST", updates, {"status": "in_progress", "body": "Yes after all."})
    assert r.status_code == 409
    assert r.json()["detail"] == "a maintenance cannot move from cancelled to in_progress"


def test_unknown_components_are_named_and_nothing_is_written(api, catalog):
    changes = Event.objects.exclude(kind="token.used")  # the token's use is logged, rightly
    before = (Incident.objects.count(), changes.count())
    r = api.call(
        "POST",
        "/incidents",
        {"title": "x", "body": "y", "components": {"zzzzzzzzzzzz": "major_outage"}},
    )
    assert r.status_code == 404
    assert "zzzzzzzzzzzz" in r.json()["detail"]
    assert (Incident.objects.count(), changes.count()) == before


def test_bad_dates_statuses_and_sizes_are_422_with_messages(api, catalog, outage):
    r = api.call(
        "POST",
        "/maintenances",
        {
            "title": "m",
            "body": "b",
            "scheduled_for": "next tuesday",
            "scheduled_until": "2030-01-01T04:00:00Z",
        },
    )
    assert r.status_code == 422 and "scheduled_for" in r.json()["detail"]
    r = api.call("POST", "/incidents", {"title": "t", "body": "b", "severity": "SEV9"})
    assert r.status_code == 422 and "severity" in r.json()["detail"]
    r = api.call(
        "POST",
        f"/incidents/{outage.public_id}/updates",
        {"status": "identified", "body": "x" * 20_001},
    )
    assert r.status_code == 422 and "limit is 20000" in r.json()["detail"]
    r = api.call(
        "POST",
        f"/incidents/{outage.public_id}/updates",
        {"status": "identified", "body": "ok", "components": {catalog["API"]: "on_fire"}},
    )
    assert r.status_code == 422 and "unknown component status 'on_fire'" in r.json()["detail"]
    assert IncidentUpdate.objects.filter(incident=outage).count() == 1


def test_malformed_json_is_a_4xx_not_a_crash(api, dana, client):
    from tidings.core.auth import issue_token

    token = issue_token(user=dana, name="raw")
    r = client.post(
        "/api/v1/incidents",
        data="{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert 400 <= r.status_code < 500


def test_components_can_be_created_and_their_status_changed(lead_api, catalog):
    groups = lead_api.call("GET", "/groups").json()
    r = lead_api.call("POST", "/components", {"name": "Payments", "group_id": groups[0]["id"]})
    assert r.status_code == 201
    cid = r.json()["id"]
    r = lead_api.call(
        "PATCH",
        f"/components/{cid}",
        {"status": "degraded_performance", "description": "Card payments"},
    )
    assert r.status_code == 200 and r.json()["status"] == "degraded_performance"
    assert Component.objects.get(public_id=cid).description == "Card payments"
    assert lead_api.call("PATCH", f"/components/{cid}", {"status": "meh"}).status_code == 422
    assert (
        lead_api.call(
            "POST", "/components", {"name": "Payments", "group_id": groups[0]["id"]}
        ).status_code
        == 422
    )


def test_internal_eta_is_kept_but_not_required(api, outage):
    r = api.call(
        "PATCH",
        f"/incidents/{outage.public_id}",
        {"eta_at": "2030-01-01T00:00:00Z", "eta_confidence": "low"},
    )
    assert r.status_code == 200
    assert r.json()["eta_confidence"] == "low"
    assert (
        api.call(
            "PATCH", f"/incidents/{outage.public_id}", {"eta_confidence": "certain"}
        ).status_code
        == 422
    )


def test_an_update_can_target_a_segment_or_nobody(api, catalog, outage):
    from tidings.customers.models import Contact, Customer
    from tidings.notify.models import Delivery

    big = Customer.objects.create(name="Globex", plan="enterprise", strategic=True)
    small = Customer.objects.create(name="Initech", plan="free")
    Contact.objects.create(customer=big, name="Noa", email="noa@globex.example")
    Contact.objects.create(customer=small, name="Sam", email="sam@initech.example")
    path = f"/incidents/{outage.public_id}/updates"
    r = api.call(
        "POST",
        path,
        {"status": "identified", "body": "For our key accounts.", "audience": {"strategic": True}},
    )
    assert r.status_code == 201, r.content
    assert list(Delivery.objects.values_list("target", flat=True)) == ["noa@globex.example"]
    r = api.call("POST", path, {"status": "identified", "body": "Quiet note.", "audience": "none"})
    assert r.status_code == 201 and Delivery.objects.count() == 1
    r = api.call("POST", path, {"status": "identified", "body": "x", "audience": "everyone"})
    assert r.status_code == 422 and "audience" in r.json()["detail"]
    r = api.call(
        "POST", path, {"status": "identified", "body": "x", "audience": {"tier": ["gold"]}}
    )
    assert r.status_code == 422 and "unknown segment keys: tier" in r.json()["detail"]


def test_titles_and_names_are_given_per_language_through_the_api(lead_api, catalog):
    r = lead_api.call("POST", "/components", {"name": {"en": "Checkout", "he": "קופה"}})
    assert r.status_code == 201, r.json()
    comp = r.json()
    assert comp["slug"] == "checkout" and comp["names"] == {"en": "Checkout", "he": "קופה"}
    r = lead_api.call(
        "POST",
        "/incidents",
        {
            "title": {"en": "Checkout failing", "he": "התשלום נכשל"},
            "body": "Checkout fails.",
            "components": {comp["id"]: "major_outage"},
        },
    )
    assert r.status_code == 201, r.json()
    assert r.json()["title"] == "Checkout failing"
    assert r.json()["titles"] == {"en": "Checkout failing", "he": "התשלום נכשל"}
    iid = r.json()["id"]
    r = lead_api.call("PATCH", f"/incidents/{iid}", {"title": "Checkout failing for card payments"})
    assert r.json()["titles"] == {"en": "Checkout failing for card payments"}
    r = lead_api.call("PATCH", f"/components/{comp['id']}", {"slug": "Not A Slug"})
    assert r.status_code == 422 and "slug" in r.json()["detail"]


def test_a_title_that_would_break_a_message_header_is_refused(api, catalog):
    r = api.call("POST", "/incidents", {"title": "Down\r\nBcc: everyone@evil.test", "body": "x"})
    assert r.status_code == 422
    assert "single line" in r.json()["detail"]
    assert not Incident.objects.exists()
