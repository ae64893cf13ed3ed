"""The honesty checks and approval on the one publishing path: a warning stops the update, an
override with a reason lets it through and is recorded; under approval an update by
communications waits as a draft, reaches nobody, and publishes when the commander approves."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.notify.kit import subscriber
from tidings.core.errors import InvalidTransition
from tidings.core.models import Event
from tidings.incidents import checking, drafts, publishing, services
from tidings.incidents.checking import HonestyWarnings
from tidings.incidents.models import IncidentUpdate, UpdateDraft
from tidings.notify.models import Delivery


def publish(incident, **fields):
    with transaction.atomic():
        return publishing.publish_update(actor="dana", incident=incident, **fields)


def test_a_warning_stops_the_update_and_nothing_is_written(now, outage):
    before = IncidentUpdate.objects.count()
    with pytest.raises(HonestyWarnings) as caught:
        publish(outage, body={"en": "A minor glitch.", "he": "תקלה קטנה."})
    assert [w.code for w in caught.value.warnings] == ["minimising_words"]
    assert caught.value.status_code == 422 and caught.value.field == "body"
    assert IncidentUpdate.objects.count() == before


def test_an_override_with_a_reason_publishes_and_is_recorded(now, outage):
    u = publish(
        outage, body={"en": "A third party failed.", "he": "צד שלישי נכשל."},
        overrides={"minimising_words": "It was Stripe; we name them next update."},
        confidence="medium",
    )  # fmt: skip
    fresh = IncidentUpdate.objects.get(pk=u.pk)
    assert fresh.overrides == {"minimising_words": "It was Stripe; we name them next update."}
    assert fresh.confidence == "medium"
    event = Event.objects.get(kind="incident.check_overridden")
    assert event.actor == "dana" and event.data["code"] == "minimising_words"
    assert event.data["reason"].startswith("It was Stripe") and event.data["public"] is False


def test_an_override_that_answers_no_warning_is_not_recorded(now, outage):
    u = publish(outage, body="We found the cause.", overrides={"repeats_previous": "why not"})
    assert IncidentUpdate.objects.get(pk=u.pk).overrides == {}
    assert not Event.objects.filter(kind="incident.check_overridden").exists()


def test_a_repeat_of_the_previous_update_is_caught_in_each_language(now, outage):
    with pytest.raises(HonestyWarnings) as caught:
        publish(outage, body={"en": "x", "he": "חלק מהקריאות ל-API נכשלות. אנחנו בודקים."})
    assert [w.code for w in caught.value.warnings] == ["repeats_previous"]


def test_resolving_a_data_incident_needs_the_statement(now, outage):
    with transaction.atomic():
        services.change_incident(actor="omer", incident=outage, data_impact=True)
    with pytest.raises(HonestyWarnings) as caught:
        publish(outage, status="resolved", body={"en": "Fixed.", "he": "תוקן."})
    assert [w.code for w in caught.value.warnings] == ["data_impact_unstated"]
    publish(
        outage, status="resolved",
        body={"en": "Fixed. No customer data was exposed.", "he": "תוקן. שום מידע לא נחשף."},
    )  # fmt: skip
    outage.refresh_from_db()
    assert outage.status == "resolved"


def test_resolved_with_a_component_still_down(now, outage, catalog):
    with pytest.raises(HonestyWarnings) as caught:
        publish(
            outage, status="resolved", body="Fixed.", components={catalog["API"]: "major_outage"}
        )
    assert [(w.code, w.field) for w in caught.value.warnings] == [
        ("outage_on_resolved", "components")
    ]
    assert "API" in caught.value.warnings[0].message


def test_an_eta_with_low_confidence_at_declaration(now, catalog):
    with pytest.raises(HonestyWarnings) as caught, transaction.atomic():
        publishing.declare(
            actor="dana", title="Checkout down", body="Expected to be fixed within 2 hours.",
            eta_confidence="low",
        )  # fmt: skip
    assert [w.code for w in caught.value.warnings] == ["eta_low_confidence"]


def test_staffs_word_list_replaces_the_shipped_one(now, outage):
    with transaction.atomic():
        checking.set_words(actor="omer", language="en", words=["hiccup", " hiccup "])
    assert checking.word_lists()["en"] == ["hiccup"]
    assert "תקלה קטנה" in checking.word_lists()["he"]  # still the shipped list
    with pytest.raises(HonestyWarnings):
        publish(outage, body="A hiccup in the API.")
    publish(outage, body="A minor glitch in the API.")  # no longer on the list


@pytest.fixture
def approval(now, dana, omer):
    with transaction.atomic():
        drafts.set_required(actor="omer", severities=["SEV1", "SEV2"])


def submit(incident, actor="dana", **fields):
    with transaction.atomic():
        return drafts.submit_update(actor=actor, incident=incident, **fields)


def test_under_approval_communications_drafts_and_nobody_is_told(approval, outage):
    subscriber("email", "erez@example.com")
    updates, deliveries = IncidentUpdate.objects.count(), Delivery.objects.count()
    d = submit(
        outage, status="identified", body={"en": "A third party failed.", "he": "ספק נכשל."},
        overrides={"minimising_words": "We are allowed to name them after legal review."},
    )  # fmt: skip
    assert isinstance(d, UpdateDraft) and d.state == "pending" and d.author == "dana"
    assert IncidentUpdate.objects.count() == updates
    assert Delivery.objects.count() == deliveries
    outage.refresh_from_db()
    assert outage.status == "investigating"
    assert drafts.pending(outage) == [d]

    with transaction.atomic():
        update = drafts.approve(actor="omer", draft=d)
    d.refresh_from_db()
    assert d.state == "approved" and d.decided_by == "omer" and d.update == update
    assert update.author == "dana" and update.bodies["en"] == "A third party failed."
    assert IncidentUpdate.objects.get(pk=update.pk).overrides == {
        "minimising_words": "We are allowed to name them after legal review."
    }
    assert Delivery.objects.filter(message__update=update).exists()
    outage.refresh_from_db()
    assert outage.status == "identified"
    kinds = list(Event.objects.filter(subject_id=outage.public_id).values_list("kind", flat=True))
    assert "incident.draft_submitted" in kinds and "incident.draft_approved" in kinds
    with pytest.raises(InvalidTransition), transaction.atomic():
        drafts.approve(actor="omer", draft=d)


def test_a_draft_with_unanswered_warnings_is_not_even_kept(approval, outage):
    with pytest.raises(HonestyWarnings):
        submit(outage, body="Only a few users are affected.")
    assert not UpdateDraft.objects.exists()


def test_the_commander_and_other_severities_publish_at_once(approval, outage, catalog):
    assert isinstance(submit(outage, actor="omer", body="Found it."), IncidentUpdate)
    with transaction.atomic():
        minor = services.create_incident(actor="dana", title="Docs slow", body="Slow docs.")
    assert isinstance(submit(minor, body="Docs are faster now."), IncidentUpdate)


def test_a_draft_sent_back_is_never_published(approval, outage):
    d = submit(outage, body="We found the cause.")
    with transaction.atomic():
        drafts.send_back(actor="omer", draft=d, note="Say which customers.")
    d.refresh_from_db()
    assert d.state == "returned" and d.note == "Say which customers."
    assert drafts.pending(outage) == []
    with pytest.raises(InvalidTransition), transaction.atomic():
        drafts.approve(actor="omer", draft=d)


def test_needs_approval_is_a_pure_rule() -> None:
    req = {"SEV1"}
    assert drafts.needs_approval(role="communications", severity="SEV1", required=req)
    assert not drafts.needs_approval(role="commander", severity="SEV1", required=req)
    assert not drafts.needs_approval(role="admin", severity="SEV1", required=req)
    assert not drafts.needs_approval(role="communications", severity="SEV3", required=req)


def test_an_update_can_flag_the_data_impact_itself(now, outage):
    with pytest.raises(HonestyWarnings) as caught:
        publish(outage, status="resolved", body="Fixed.", data_impact=True)
    assert [w.code for w in caught.value.warnings] == ["data_impact_unstated"]
    outage.refresh_from_db()
    assert outage.data_impact is False  # refused: nothing written
    publish(
        outage, body="We found exposed records; we are contacting the owners.", data_impact=True
    )
    outage.refresh_from_db()
    assert outage.data_impact is True


def test_a_maintenance_is_planned_work_and_not_checked(now, catalog):
    from datetime import timedelta

    from tidings.incidents import maintenances

    with transaction.atomic():
        m = maintenances.create_maintenance(
            actor="omer", title="Database upgrade", scheduled_for=now + timedelta(hours=1),
            scheduled_until=now + timedelta(hours=2), components=[catalog["API"]],
        )  # fmt: skip
    u = publish(m, body="The API may be briefly unavailable during the upgrade.")
    assert u.overrides == {}
