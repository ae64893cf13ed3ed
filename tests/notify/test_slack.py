"""Slack: only Slack's own webhook host, Block Kit in Slack's Markdown, and its error answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import NOW
from tests.notify.channel_kit import outgoing, send, update_view
from tests.notify.sinks import HttpSink
from tidings.config import overridden
from tidings.notify.channels.slack.channel import SlackChannel
from tidings.notify.protocol import InvalidTarget
from tidings.notify.rules import verdict

HOOK = "https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX"


@pytest.fixture
def public_only(notify_settings: Any) -> Iterator[Any]:
    with overridden(allow_private_targets=False) as settings:
        yield settings


@pytest.mark.parametrize(
    "url", [HOOK, f"  {HOOK} ", HOOK.replace("hooks.slack.com", "HOOKS.Slack.com")]
)
def test_a_slack_incoming_webhook_is_accepted(url: str, public_only: Any) -> None:
    assert SlackChannel.normalise_target(url) == url.strip()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (HOOK.replace("https:", "http:"), "starts with https://hooks.slack.com/"),
        ("https://example.com/services/T0001/B0001/XXX", "starts with https://hooks.slack.com/"),
        (
            "https://hooks.slack.com.example.com/services/T/B/X",
            "starts with https://hooks.slack.com/",
        ),
        ("https://hooks.slack.com/triggers/T0001/123/abc", "/services/"),
        ("hooks.slack.com/services/T0001/B0001/XXX", "must start with https://"),
    ],
)
def test_anything_but_slacks_webhook_host_is_refused(
    url: str, reason: str, public_only: Any
) -> None:
    with pytest.raises(InvalidTarget, match=reason):
        SlackChannel.normalise_target(url)


def test_a_local_relay_is_accepted_when_private_targets_are_allowed(notify_settings: Any) -> None:
    assert (
        SlackChannel.normalise_target("http://127.0.0.1:9000/slack")
        == "http://127.0.0.1:9000/slack"
    )


def test_the_message_is_block_kit_in_slacks_markdown(
    notify_settings: Any, http_sink: HttpSink
) -> None:
    view = update_view(
        body="Errors <5% & falling; see **status** at [our page](https://acme.test/p)."
    )
    [result] = send("slack", notify_settings, outgoing("slack", [f"{http_sink.url}/slack"], view))
    assert result.ok
    [req] = http_sink.requests
    body = json.loads(req.body)
    assert body["text"] == "Acme: Elevated API errors - Identified"
    head, text, facts, footer = body["blocks"]
    assert head["text"]["text"] == (
        "*<https://status.acme.test/incidents/inc0001|Elevated API errors>*\n:large_orange_circle: *Identified*"
    )
    assert head["text"]["type"] == "mrkdwn"
    assert (
        text["text"]["text"]
        == "Errors &lt;5% &amp; falling; see *status* at <https://acme.test/p|our page>."
    )
    assert facts["fields"][0]["text"] == "*Affected*\nAPI, Website"
    due = int((NOW + timedelta(minutes=30)).timestamp())
    assert facts["fields"][1]["text"] == (
        f"*Next update by*\n<!date^{due}^{{date_short_pretty}} {{time}}|2026-11-23 12:30 UTC>"
    )
    assert (
        footer["type"] == "context"
        and "<https://status.acme.test/incidents/inc0001|" in footer["elements"][0]["text"]
    )


def test_a_long_update_stays_within_a_section() -> None:
    text = SlackChannel.render(update_view(body="a&b " * 2000)).payload["blocks"][1]["text"]["text"]
    assert 2000 < len(text) <= 3000 and text.endswith("a&amp;b…")


@pytest.mark.parametrize(
    ("status", "answer", "outcome"),
    [
        (404, "no_service", "dead"),  # the webhook was removed
        (410, "channel_is_archived", "dead"),
        (403, "action_prohibited", "rejected"),  # disabled after several in a row
        (400, "invalid_payload", "retry"),  # our fault: retry, do not disable the customer
        (400, "no_text", "retry"),
        (429, "rate_limited", "retry"),
        (500, "rollup_error", "retry"),
        (204, "", "retry"),  # Slack answers 200 "ok" and nothing else
    ],
)
def test_slack_answers(
    status: int, answer: str, outcome: str, notify_settings: Any, http_sink: HttpSink
) -> None:
    http_sink.answers["/slack"] = (status, answer)
    [result] = send("slack", notify_settings, outgoing("slack", [f"{http_sink.url}/slack"]))
    assert not result.ok and verdict(result).outcome == outcome
    assert str(status) in result.error
