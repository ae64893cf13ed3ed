"""An update reaches chat, SMS and Apprise subscribers end to end: fan-out in the update's
transaction, then the delivery worker, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.db import transaction

from tests.notify.channel_kit import TELEGRAM, TWILIO
from tests.notify.kit import subscriber
from tests.notify.sinks import HttpSink
from tidings.incidents import services
from tidings.notify.models import Delivery
from tidings.notify.worker import DeliveryWorker

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_update_reaches_every_kind_of_subscriber(
    now: Any, notify_settings: Any, http_sink: HttpSink, catalog: Any, outage: Any
) -> None:
    subscriber("slack", f"{http_sink.url}/slack")
    subscriber("teams", f"{http_sink.url}/teams", language="he")
    subscriber("telegram", "-1001234567890")
    subscriber("sms", "+972 54-123-4567", language="he")
    subscriber("whatsapp", "+1 555 010 0002")
    subscriber("apprise", f"json://127.0.0.1:{http_sink.port}/apprise")
    with transaction.atomic():
        services.post_update(
            actor="dana", incident=outage, status="identified",
            body={"en": "We found the cause.", "he": "מצאנו את הסיבה."},
        )  # fmt: skip
    stats = asyncio.run(DeliveryWorker(notify_settings).drain())
    assert stats["sent"] == 6
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}

    by_path: dict[str, list[bytes]] = {}
    for req in http_sink.requests:
        by_path.setdefault(req.path, []).append(req.body)
    assert "We found the cause." in json.loads(by_path["/slack"][0])["blocks"][1]["text"]["text"]
    card = json.loads(by_path["/teams"][0])["attachments"][0]["content"]
    assert "מצאנו את הסיבה." in [b["text"] for b in card["body"]]
    assert json.loads(by_path[TELEGRAM][0])["chat_id"] == -1001234567890
    texts = {f["To"][0]: f["Body"][0] for f in (parse_qs(b.decode()) for b in by_path[TWILIO])}
    assert "מצאנו את הסיבה." in texts["+972541234567"]
    assert texts["+972541234567"].endswith(f"/he/incidents/{outage.public_id}")
    assert "/unsubscribe/" in texts["whatsapp:+15550100002"]
    assert "We found the cause." in json.loads(by_path["/apprise"][0])["message"]


def test_a_chat_that_blocked_the_bot_is_disabled_and_a_busy_slack_is_retried(
    now: Any, notify_settings: Any, http_sink: HttpSink, catalog: Any, outage: Any
) -> None:
    blocked = subscriber("telegram", "42")
    busy = subscriber("slack", f"{http_sink.url}/slack")
    http_sink.answers[TELEGRAM] = (
        403,
        {"ok": False, "description": "Forbidden: bot was blocked by the user"},
    )
    http_sink.responses["/slack"] = 503
    with transaction.atomic():
        services.post_update(actor="dana", incident=outage, status="identified", body="x")
    asyncio.run(DeliveryWorker(notify_settings).drain())
    blocked.refresh_from_db()
    busy.refresh_from_db()
    assert blocked.status == "disabled" and "bot was blocked" in blocked.disabled_reason
    assert busy.status == "active"
    assert Delivery.objects.get(subscriber=busy).status == "queued"
