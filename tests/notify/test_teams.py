"""Teams: an Adaptive Card message posted to a Workflows webhook."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.notify.channel_kit import outgoing, send, update_view
from tests.notify.sinks import HttpSink
from tidings.config import overridden
from tidings.notify.channels.teams.channel import TeamsChannel
from tidings.notify.protocol import InvalidTarget

FLOW = "https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=x"


@pytest.fixture
def public_only(notify_settings: Any) -> Iterator[Any]:
    with overridden(allow_private_targets=False) as settings:
        yield settings


def test_a_workflows_url_must_be_https(public_only: Any) -> None:
    assert TeamsChannel.normalise_target(FLOW) == FLOW
    with pytest.raises(InvalidTarget, match="https://"):
        TeamsChannel.normalise_target(FLOW.replace("https:", "http:"))


def test_the_card_is_posted_and_202_is_success(notify_settings: Any, http_sink: HttpSink) -> None:
    http_sink.responses["/teams"] = 202
    [result] = send("teams", notify_settings, outgoing("teams", [f"{http_sink.url}/teams"]))
    assert result.ok
    message = json.loads(http_sink.requests[0].body)
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4" and "rtl" not in card
    texts = [b["text"] for b in card["body"]]
    assert all(b["type"] == "TextBlock" for b in card["body"])
    assert texts[:3] == ["Acme", "Elevated API errors", "Identified"]
    assert "**Affected:** API, Website" in texts
    assert (
        "**Next update by:** {{DATE(2026-11-23T12:30:00Z, SHORT)}} {{TIME(2026-11-23T12:30:00Z)}}"
        in texts
    )
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Details and updates",
            "url": "https://status.acme.test/incidents/inc0001",
        }
    ]


def test_a_hebrew_card_reads_right_to_left() -> None:
    view = update_view("he")
    card = TeamsChannel.render(view).payload["attachments"][0]["content"]
    assert card["rtl"] is True
    assert card["body"][1]["text"] == view.title
    assert card["actions"][0]["url"] == "https://status.acme.test/he/incidents/inc0001"
