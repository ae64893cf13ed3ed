"""Reminders, escalation and breaches under a controlled clock; the stored policy."""

from __future__ import annotations

from datetime import timedelta

from tidings.core import clock, jobs
from tidings.core.models import Event
from tidings.incidents import cadence_store
from tidings.incidents import services as incidents
from tidings.monitors import reminders
from tidings.notify.models import Delivery


def _pages() -> list[tuple[str, str, str]]:
    rows = Delivery.objects.filter(message__kind="page").select_related("message")
    return sorted((d.channel, d.target, d.message.subject) for d in rows)


def test_the_owner_is_reminded_five_minutes_before_and_the_commander_told_when_late(
    now, site_settings, dana, omer, outage
):
    due = outage.next_update_due_at
    assert due == now + timedelta(minutes=30)  # SEV2: every 30 minutes at first
    assert reminders.run(due - timedelta(minutes=6)) == 0
    assert reminders.run(due - timedelta(minutes=4, seconds=50)) == 1
    assert reminders.run(due - timedelta(minutes=4)) == 0  # once per promised time
    subject = "[Acme] Elevated API errors: Update due by 2026-11-23 12:30 UTC"
    assert _pages() == [("email", "dana@acme.test", subject)]
    assert not Event.objects.filter(kind="incident.update_overdue").exists()

    assert reminders.run(due + timedelta(minutes=3)) == 1
    assert reminders.run(due + timedelta(minutes=9)) == 0
    breach = Event.objects.get(kind="incident.update_overdue")
    assert breach.subject_id == outage.public_id
    assert breach.data["owner"] == "dana"
    assert breach.data["late_seconds"] == 180
    assert breach.data["escalated_to"] == ["omer"]
    late = "[Acme] Elevated API errors: Update overdue since 2026-11-23 12:30 UTC"
    assert ("email", "omer@acme.test", late) in _pages()

    with clock.frozen(due + timedelta(minutes=10)):
        incidents.post_update(actor="dana", incident=outage, template="still_working")
    outage.refresh_from_db()
    assert outage.next_update_due_at == due + timedelta(minutes=40)
    came = Event.objects.get(kind="incident.update_late")
    assert (came.data["owner"], came.data["late_seconds"]) == ("dana", 600)
    assert reminders.run(outage.next_update_due_at - timedelta(minutes=1)) == 1  # a new promise


def test_two_schedulers_send_one_reminder(now, site_settings, dana, outage):
    at = outage.next_update_due_at - timedelta(minutes=2)
    with clock.frozen(at):
        assert "update_cadence" in jobs.run_due(at)
        assert "update_cadence" not in jobs.run_due(at)  # the slot is claimed
        assert reminders.run() == 0  # a second scheduler in the next slot: the notice is claimed
    assert len(_pages()) == 1


def test_the_named_owner_and_commander_and_their_own_channels_are_used(now, dana, omer, outage):
    from django.contrib.auth.models import User

    from tidings.staff.models import StaffProfile

    noa = User.objects.create_user("noa", "noa@acme.test", "pw", is_staff=True)
    StaffProfile.objects.create(user=noa, role="communications", language="he",
                                channels=[{"channel": "sms", "target": "+972501234567"}])  # fmt: skip
    incidents.change_incident(actor="omer", incident=outage, comms_owner="noa", commander="omer")
    due = outage.next_update_due_at
    reminders.run(due - timedelta(minutes=1))
    sms = Delivery.objects.get(channel="sms")
    assert sms.target == "+972501234567"
    assert sms.message.language == "he"
    assert "הבטחנו ללקוחות את העדכון הבא" in sms.message.text  # in the owner's language
    reminders.run(due + timedelta(minutes=1))
    assert Event.objects.get(kind="incident.update_overdue").data["owner"] == "noa"


def test_resolved_incidents_are_never_chased(now, dana, outage):
    with clock.frozen(now + timedelta(minutes=5)):
        incidents.post_update(actor="dana", incident=outage, status="resolved",
                              body="Fixed. No data was lost.")  # fmt: skip
    assert reminders.run(now + timedelta(hours=5)) == 0
    assert not Event.objects.filter(kind="incident.update_late").exists()  # it came in time


def test_a_staff_policy_changes_the_promise_and_a_reset_restores_the_default(now, dana, catalog):
    cadence_store.set_policy(actor="omer", severity="SEV3", first_minutes=15)
    inc = incidents.create_incident(actor="dana", title="Slow", severity="SEV3", body="Slow.")
    assert inc.next_update_due_at == now + timedelta(minutes=15)
    assert Event.objects.filter(kind="cadence.policy_changed", actor="omer").exists()
    cadence_store.reset_policy(actor="omer", severity="SEV3")
    inc = incidents.create_incident(actor="dana", title="Slow 2", severity="SEV3", body="Slow.")
    assert inc.next_update_due_at == now + timedelta(minutes=60)
