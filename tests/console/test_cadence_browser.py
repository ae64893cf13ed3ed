"""A promised update comes due under a controlled clock, in real Chromium: the scheduler's
cadence job reminds the owner by mail (a real SMTP server on loopback), escalates to the
commander when late and records the breach; the one-click "still working" update answers it."""

from __future__ import annotations

import email
import threading
from datetime import UTC, datetime, timedelta
from email import policy
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connections

from tests.console.conftest import IN_CHROMIUM
from tests.notify.kit import drain
from tests.notify.sinks import SmtpSink
from tidings.components import services as components
from tidings.config import overridden
from tidings.core import clock, jobs
from tidings.core.models import Event
from tidings.incidents import services as incidents

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = IN_CHROMIUM

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def mail_settings(tmp_path: Any) -> Any:
    sink = SmtpSink().start()
    with overridden(
        data_dir=tmp_path / "data", site_name="Acme", public_url="https://status.acme.test",
        smtp_host="127.0.0.1", smtp_port=sink.port, email_from="status@acme.test",
        allow_private_targets=True,
    ) as s:  # fmt: skip
        yield s, sink
    sink.stop()


def _send_mail(settings: Any) -> None:
    """What ``tidings worker`` does, in a thread of its own: Playwright keeps an event loop
    running in this one."""

    def work() -> None:
        try:
            drain(settings)
        finally:
            connections.close_all()

    t = threading.Thread(target=work)
    t.start()
    t.join(60)


def _subjects(sink: SmtpSink, to: str) -> list[str]:
    found = []
    for m in sink.mails:
        if to in m.recipients:
            found.append(str(email.message_from_bytes(m.data, policy=policy.default)["Subject"]))
    return found


def test_a_late_update_is_reminded_escalated_recorded_and_answered_in_one_click(
    signed_in, live_server, staff, mail_settings
):
    settings, sink = mail_settings
    with clock.frozen(T0):
        payments = components.create_component(actor="omer", name={"en": "Payments"}).public_id
        incident = incidents.create_incident(
            actor="dana", title="Card payments fail", severity="SEV1",
            components={payments: "major_outage"}, template="investigating",
        )  # fmt: skip
    due = incident.next_update_due_at
    assert due == T0 + timedelta(minutes=20)  # SEV1: every 20 minutes at first

    with clock.frozen(due - timedelta(minutes=4)):  # the scheduler's tick, 4 minutes before
        assert "update_cadence" in jobs.run_due()
        _send_mail(settings)
        assert _subjects(sink, "dana@acme.test") == [
            "[Acme] Card payments fail: Update due by 2026-11-23 12:20 UTC"
        ]
        dana = signed_in("dana")
        dana.goto(f"{live_server.url}/console/incidents/{incident.public_id}")
        expect(dana.locator("#cadence.soon .cadence-standing")).to_contain_text("Due in 4 min")
        expect(dana.locator("#cadence .owner")).to_have_text("dana")
        omer = signed_in("omer")  # the commander's home page, left open from here on
        expect(
            omer.locator(f"#late-updates [data-incident='{incident.public_id}']")
        ).to_contain_text("Due in 4 min")

    with clock.frozen(due + timedelta(minutes=3)):  # nobody posted: late
        assert "update_cadence" in jobs.run_due()
        jobs.run_due()  # the same moment again (a second scheduler): nothing more is sent
        _send_mail(settings)
        assert _subjects(sink, "omer@acme.test") == [
            "[Acme] Card payments fail: Update overdue since 2026-11-23 12:20 UTC"
        ]
        assert len(_subjects(sink, "dana@acme.test")) == 1
        [breach] = Event.objects.filter(kind="incident.update_overdue")
        assert (breach.data["owner"], breach.data["late_seconds"]) == ("dana", 180)

        expect(  # no reload: the home page's poll brings the cards up to date
            omer.locator(f"#late-updates [data-incident='{incident.public_id}']")
        ).to_contain_text("Overdue by 3 min")
        dana.reload()
        expect(dana.locator("#cadence.overdue .cadence-standing")).to_contain_text(
            "Overdue by 3 min"
        )
        expect(dana.locator("#cadence .breaches li")).to_contain_text("still missing, 3 min late")

        dana.locator("button.still-working").click()
        dana.wait_for_url("**#timeline")
        expect(dana.locator("#cadence.ok .cadence-standing")).to_contain_text("Due in 20 min")
        expect(dana.locator("#cadence .breaches li")).to_contain_text("came 3 min late")

    latest = incident.updates.order_by("-id").first()
    assert latest is not None and latest.author == "dana"
    assert latest.bodies["en"].startswith("We are still working to restore Payments.")
    assert "Next update by 2026-11-23 12:43 UTC" in latest.bodies["en"]
    came = Event.objects.get(kind="incident.update_late")
    assert (came.data["owner"], came.data["late_seconds"]) == ("dana", 180)
    incident.refresh_from_db()
    assert incident.status == "investigating"
    assert incident.next_update_due_at == due + timedelta(minutes=23)


def test_the_desk_countdown_and_its_cadence_card_name_the_same_minute(
    signed_in: Any, live_server: Any, staff: dict[str, User]
) -> None:
    """The countdown ticks in the browser and the card is rendered by the server: 3 min 30 s
    before the update is due both say 4 min, and 2 min 30 s after it both say 3 min."""
    from django.utils import timezone

    from tidings.incidents.models import Incident

    incident = incidents.create_incident(
        actor="dana", title="Card payments fail", severity="SEV1", body="Looking into it."
    )
    dana = signed_in("dana")
    for offset, header, card in (
        (timedelta(minutes=3, seconds=30), "due in 4 min", "Due in 4 min"),
        (-timedelta(minutes=2, seconds=30), "overdue by 3 min", "Overdue by 3 min"),
    ):
        Incident.objects.filter(pk=incident.pk).update(next_update_due_at=timezone.now() + offset)
        dana.goto(f"{live_server.url}/console/incidents/{incident.public_id}")
        expect(dana.locator("span.due[data-due]").first).to_have_text(header)
        expect(dana.locator("#cadence .cadence-standing")).to_contain_text(card)
