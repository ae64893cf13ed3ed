"""Update reminders reach staff on their own channels through the delivery engine: Slack,
Teams and SMS, to real HTTP servers on loopback."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.notify.kit import drain
from tidings.incidents import services as incidents
from tidings.monitors import reminders
from tidings.notify.models import Delivery
from tidings.staff.models import StaffProfile

pytestmark = pytest.mark.django_db(transaction=True)


def test_reminder_and_escalation_go_out_on_slack_teams_and_sms(
    notify_settings: Any, http_sink: Any, now: Any, dana: Any, omer: Any, outage: Any
) -> None:
    StaffProfile.objects.filter(user=dana).update(channels=[
        {"channel": "slack", "target": f"{http_sink.url}/slack"},
        {"channel": "sms", "target": "+972541234567"},
    ])  # fmt: skip
    StaffProfile.objects.filter(user=omer).update(
        language="he", channels=[{"channel": "teams", "target": f"{http_sink.url}/teams"}]
    )
    incidents.change_incident(actor="omer", incident=outage, commander="omer")
    due = outage.next_update_due_at
    assert reminders.run(due - timedelta(minutes=5)) == 1
    assert reminders.run(due + timedelta(seconds=30)) == 1
    stats = drain(notify_settings)
    assert stats["sent"] == 3
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}

    by_path: dict[str, list[bytes]] = {}
    for req in http_sink.requests:
        by_path.setdefault(req.path.split("?")[0], []).append(req.body)
    slack = json.dumps(json.loads(by_path["/slack"][0]), ensure_ascii=False)
    assert "Update due by 2026-11-23 12:30 UTC" in slack
    [sms] = [parse_qs(b.decode()) for b in next(v for k, v in by_path.items() if "Messages" in k)]
    assert sms["To"] == ["+972541234567"] and "Elevated API errors" in sms["Body"][0]
    teams = json.dumps(json.loads(by_path["/teams"][0]), ensure_ascii=False)
    assert "מאחר" in teams  # the commander reads it in Hebrew
