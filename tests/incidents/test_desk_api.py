"""The crisis desk's services through /api/v1: posting on a stale view (409), FAQ and resource
changes, maintenance moves, finding resolved incidents, and the preview before publishing."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from tidings.core.models import Event
from tidings.incidents import content, maintenances, services
from tidings.incidents.models import FaqEntry, Incident, IncidentUpdate, Resource
from tidings.notify.models import Delivery, Message


def newest_id(incident: Incident) -> str:
    return incident.updates.order_by("-created_at", "-id").first().public_id


def test_a_second_author_on_a_stale_view_gets_409_with_the_newer_update(api, now, outage):
    seen = newest_id(outage)
    first = api.call("POST", f"/incidents/{outage.public_id}/updates",
                     {"body": "We found the cause.", "status": "identified", "based_on": seen})  # fmt: skip
    assert first.status_code == 201, first.content
    late = api.call("POST", f"/incidents/{outage.public_id}/updates",
                    {"body": "Still looking.", "based_on": seen})  # fmt: skip
    assert late.status_code == 409
    assert [u["body"]["en"] for u in late.json()["newer"]] == ["We found the cause."]
    assert "newer update" in late.json()["detail"]
    assert IncidentUpdate.objects.filter(incident=outage).count() == 2  # nothing half-written
    confirmed = api.call("POST", f"/incidents/{outage.public_id}/updates",
                         {"body": "Still looking.", "based_on": first.json()["id"]})  # fmt: skip
    assert confirmed.status_code == 201


def test_without_based_on_an_update_posts_as_before(api, now, outage):
    r = api.call("POST", f"/incidents/{outage.public_id}/updates", {"template": "still_working"})
    assert r.status_code == 201 and "still working" in r.json()["body"]["en"]


def test_faq_entries_are_changed_and_removed(api, now, outage):
    r = api.call("POST", f"/incidents/{outage.public_id}/faq",
                 {"question": {"en": "Is data lost?", "he": "האם מידע אבד?"}, "answer": "No."})  # fmt: skip
    faq_id = r.json()["id"]
    r = api.call("PATCH", f"/incidents/{outage.public_id}/faq/{faq_id}",
                 {"answer": {"en": "No data was lost.", "he": "שום מידע לא אבד."}})  # fmt: skip
    assert r.status_code == 200 and r.json()["answer"]["he"] == "שום מידע לא אבד."
    assert r.json()["question"]["en"] == "Is data lost?"
    bad = api.call("PATCH", f"/incidents/{outage.public_id}/faq/{faq_id}", {"question": "a\nb"})
    assert bad.status_code == 422
    assert FaqEntry.objects.get(pk=faq_id).question["en"] == "Is data lost?"  # unchanged
    assert api.call("DELETE", f"/incidents/{outage.public_id}/faq/{faq_id}").status_code == 204
    assert api.call("GET", f"/incidents/{outage.public_id}/faq").json() == []
    assert api.call("DELETE", f"/incidents/{outage.public_id}/faq/{faq_id}").status_code == 404
    assert Event.objects.filter(kind="incident.faq_changed", data__deleted=True).exists()


def test_resources_are_changed_and_removed_and_a_bad_url_changes_nothing(api, now, outage):
    r = api.call("POST", f"/incidents/{outage.public_id}/resources",
                 {"kind": "workaround", "title": "Use the EU endpoint"})  # fmt: skip
    rid = r.json()["id"]
    bad = api.call("PATCH", f"/incidents/{outage.public_id}/resources/{rid}",
                   {"title": "Changed", "url": "javascript:alert(1)"})  # fmt: skip
    assert bad.status_code == 422 and "url" in bad.json()["detail"]
    assert Resource.objects.get(pk=rid).title == {"en": "Use the EU endpoint"}
    ok = api.call("PATCH", f"/incidents/{outage.public_id}/resources/{rid}",
                  {"kind": "link", "url": "https://eu.acme.test/"})  # fmt: skip
    assert ok.status_code == 200 and ok.json()["kind"] == "link"
    assert api.call("DELETE", f"/incidents/{outage.public_id}/resources/{rid}").status_code == 204
    assert not Resource.objects.filter(pk=rid).exists()


def plan(catalog, now, hours=2):
    with transaction.atomic():
        return maintenances.create_maintenance(
            actor="dana", title={"en": "Database upgrade", "he": "שדרוג מסד הנתונים"},
            scheduled_for=now + timedelta(hours=hours), scheduled_until=now + timedelta(hours=hours + 1),
            components={catalog["API"]: "under_maintenance"},
        )  # fmt: skip


def test_a_maintenance_is_rescheduled_started_early_extended_and_completed(api, now, catalog):
    m = plan(catalog, now)
    new_start, new_end = now + timedelta(days=1), now + timedelta(days=1, hours=2)
    r = api.call("POST", f"/maintenances/{m.public_id}/reschedule",
                 {"scheduled_for": new_start.isoformat(), "scheduled_until": new_end.isoformat()})  # fmt: skip
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "scheduled" and "2026-11-24 12:00" in r.json()["body"]["en"]
    r = api.call("POST", f"/maintenances/{m.public_id}/start", {})
    assert r.status_code == 201 and r.json()["status"] == "in_progress"
    m.refresh_from_db()
    assert m.components.get().status == "under_maintenance" and m.scheduled_for == now
    later = new_end + timedelta(hours=3)
    r = api.call("POST", f"/maintenances/{m.public_id}/extend",
                 {"scheduled_until": later.isoformat()})  # fmt: skip
    assert r.status_code == 201 and "taking longer" in r.json()["body"]["en"]
    assert "נמשכת יותר מהמתוכנן" in r.json()["body"]["he"]
    early = api.call("POST", f"/maintenances/{m.public_id}/extend",
                     {"scheduled_until": (now + timedelta(minutes=5)).isoformat()})  # fmt: skip
    assert early.status_code == 422
    r = api.call("POST", f"/maintenances/{m.public_id}/complete", {})
    assert r.status_code == 201 and r.json()["status"] == "completed"
    m.refresh_from_db()
    assert m.components.get().status == "operational"
    assert api.call("POST", f"/maintenances/{m.public_id}/cancel", {}).status_code == 409


def test_a_cancelled_maintenance_tells_its_subscribers_with_the_template(api, now, catalog):
    m = plan(catalog, now)
    r = api.call("POST", f"/maintenances/{m.public_id}/cancel", {})
    assert r.status_code == 201 and r.json()["status"] == "cancelled"
    assert "is cancelled" in r.json()["body"]["en"] and "בוטלה" in r.json()["body"]["he"]
    assert api.call("POST", f"/maintenances/{m.public_id}/start", {}).status_code == 409


def test_rescheduling_into_the_past_is_refused_and_changes_nothing(now, catalog):
    import pytest

    from tidings.core.errors import InvalidInput

    m = plan(catalog, now)
    with pytest.raises(InvalidInput), transaction.atomic():
        maintenances.reschedule(actor="dana", incident=m, scheduled_for=now - timedelta(hours=1),
                                scheduled_until=now + timedelta(hours=1))  # fmt: skip
    m.refresh_from_db()
    assert m.scheduled_for == now + timedelta(hours=2) and m.updates.count() == 1


def test_resolved_incidents_are_found_by_title_in_either_language_and_filters(
    api, now, outage, catalog
):
    with transaction.atomic():
        services.post_update(actor="dana", incident=outage, status="resolved", body="Fixed.")
        services.create_incident(actor="dana", title="Slow website", severity="SEV4",
                                 components={catalog["Website"]: "degraded_performance"}, body="Slow.")  # fmt: skip
    found = api.call("GET", "/incidents?q=מוגברות&status=closed").json()
    assert [i["title"] for i in found] == ["Elevated API errors"]
    assert [i["title"] for i in api.call("GET", "/incidents?q=slow").json()] == ["Slow website"]
    assert [
        i["title"] for i in api.call("GET", f"/incidents?component={catalog['API']}").json()
    ] == ["Elevated API errors"]
    assert (
        api.call("GET", "/incidents?severity=SEV4&status=open").json()[0]["title"] == "Slow website"
    )
    assert api.call("GET", "/incidents?since=2026-11-24").json() == []
    assert len(api.call("GET", "/incidents?since=2026-11-23&until=2026-11-23").json()) == 2
    assert len(api.call("GET", "/incidents?limit=1&offset=1").json()) == 1
    assert api.call("GET", "/incidents?status=sleeping").status_code == 422


def test_the_preview_renders_every_channel_in_both_languages_and_sends_nothing(
    api, now, catalog, people
):
    r = api.call("POST", "/incidents/preview", {
        "title": {"en": "Checkout fails", "he": "התשלום נכשל"}, "template": "investigating",
        "severity": "SEV1", "components": {catalog["API"]: "major_outage"}, "audience": "affected",
    })  # fmt: skip
    assert r.status_code == 200, r.content
    p = r.json()
    shown = {(x["channel"], x["language"]): x for x in p["renderings"]}
    assert {"email", "sms", "slack", "teams", "webhook"} <= {c for c, _ in shown}
    assert (
        'dir="rtl"' in shown[("email", "he")]["html"]
        and "התשלום נכשל" in shown[("email", "he")]["subject"]
    )
    sms = shown[("sms", "he")]
    assert (
        sms["encoding"] == "UCS-2"
        and 1 <= sms["segments"] <= 3
        and sms["chars"] == len(sms["text"])
    )
    assert '"blocks"' in shown[("slack", "en")]["payload_json"]
    assert '"incident"' in shown[("webhook", "en")]["payload_json"]
    assert "Checkout fails" in p["page"]["en"] and "התשלום נכשל" in p["page"]["he"]
    assert p["missing"] == {}
    assert p["audience"]["total"] == 5 and p["audience"]["by_channel"]["sms"] == 1
    assert p["audience"]["left_out"]["unconfirmed"] == 1  # pending@example.com
    assert p["audience"]["left_out"]["not_affected"] == 2  # web-only subscriber, Lee at Initech
    assert Incident.objects.count() == 0 and Message.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_an_update_preview_shows_unfilled_slots_and_the_new_status(api, now, outage):
    r = api.call("POST", f"/incidents/{outage.public_id}/preview", {"template": "identified"})
    p = r.json()
    assert p["status"] == "identified" and p["missing"]["en"] == ["cause", "remediation"]
    r = api.call("POST", f"/incidents/{outage.public_id}/preview",
                 {"template": "identified", "template_values": {"cause": "a bad deploy", "remediation": "rolling back"}})  # fmt: skip
    assert r.json()["missing"] == {} and "a bad deploy" in r.json()["body"]["en"]
    assert outage.updates.count() == 1


def test_recipients_are_listed_masked_and_searchable_and_the_left_out_say_why(
    api, now, outage, people
):
    url = f"/incidents/{outage.public_id}/recipients"
    r = api.call("POST", url, {"audience": "affected"}).json()
    assert r["total"] == 5 and all(
        "@" not in x["target"] or "***" in x["target"] for x in r["rows"]
    )
    assert {x["who"] for x in r["rows"]} == {"Globex", ""}
    found = api.call("POST", url, {"audience": "affected", "q": "globex"}).json()
    assert found["total"] == 3
    left = api.call("POST", url, {"audience": "affected", "left_out": "all"}).json()
    assert {(x["reason"], x["who"]) for x in left["rows"]} == {
        ("unconfirmed", ""), ("not_affected", ""), ("not_affected", "Initech"),
    }  # fmt: skip
    counts = api.call("POST", f"/incidents/{outage.public_id}/audience", {"audience": "affected"})
    assert counts.json()["left_out"] == {
        "unconfirmed": 1, "disabled": 0, "unsubscribed": 0, "no_channel": 0, "not_affected": 2,
    }  # fmt: skip


def test_content_services_validate_before_writing(now, outage):
    import pytest

    from tidings.core.errors import InvalidInput

    with transaction.atomic():
        entry = content.add_faq(actor="dana", incident=outage, question="Q?", answer="A.")
    with pytest.raises(InvalidInput):
        content.change_faq(actor="dana", entry=entry, question="Fine?", answer="")
    entry.refresh_from_db()
    assert entry.question == {"en": "Q?"}
