"""Apprise: any URL it knows, sent off the event loop, to real local servers."""

from __future__ import annotations

import email
import json
from email import policy
from typing import Any

import pytest

from tests.notify.channel_kit import outgoing, send, update_view
from tests.notify.sinks import HttpSink, SmtpSink
from tidings.notify.channels.apprise.channel import AppriseChannel
from tidings.notify.protocol import InvalidTarget


@pytest.mark.parametrize(
    "url",
    [
        "json://127.0.0.1:8080/hooks/acme",
        "mailto://127.0.0.1:2525?smtp=127.0.0.1&mode=insecure&from=status@acme.test&to=erez@example.com",
        "tgram://123456789:abcdefghijklmnopqrstuvwxyz/-1001234567890",
        "ntfy://ntfy.sh/acme-status",
    ],
)
def test_urls_apprise_knows_are_accepted(url: str, notify_settings: Any) -> None:
    assert AppriseChannel.normalise_target(f" {url} ") == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "erez@example.com",
        "nosuchservice://x/y",
        "msteams://a/b/c",
        "json://",
        "https://example.com/x",
    ],
)
def test_urls_apprise_does_not_know_are_refused(url: str, notify_settings: Any) -> None:
    with pytest.raises(InvalidTarget, match="Apprise"):
        AppriseChannel.normalise_target(url)


def test_a_json_target_gets_title_message_and_type(
    notify_settings: Any, http_sink: HttpSink
) -> None:
    target = f"json://127.0.0.1:{http_sink.port}/apprise"
    [result] = send("apprise", notify_settings, outgoing("apprise", [target], update_view("he")))
    assert result.ok
    [req] = http_sink.requests
    body = json.loads(req.body)
    assert body["title"] == "[Acme] שגיאות רבות ב-API: הבעיה זוהתה"
    assert "חלק מהקריאות ל-API נכשלות." in body["message"]
    assert "https://status.acme.test/he/incidents/inc0001" in body["message"]
    assert body["message"].endswith("https://status.acme.test/unsubscribe/token1")
    assert body["type"] == "failure"
    assert req.headers["User-Agent"] == "Acme"


def test_a_mailto_target_reaches_the_smtp_server(notify_settings: Any, smtp_sink: SmtpSink) -> None:
    target = (f"mailto://127.0.0.1:{smtp_sink.port}?smtp=127.0.0.1&mode=insecure"
              "&from=status@acme.test&to=erez@example.com")  # fmt: skip
    [result] = send("apprise", notify_settings, outgoing("apprise", [target], unsubscribe=False))
    assert result.ok
    [mail] = smtp_sink.mails
    assert mail.recipients == ["erez@example.com"]
    message = email.message_from_bytes(mail.data, policy=policy.default)
    assert message["Subject"] == "[Acme] Elevated API errors: Identified"
    text = message.get_body(("plain",)).get_content()
    assert "Some API calls fail." in text and "Unsubscribe" not in text


def test_a_url_this_apprise_no_longer_knows_is_a_permanent_failure(notify_settings: Any) -> None:
    [result] = send("apprise", notify_settings, outgoing("apprise", ["msteams://a/b/c"]))
    assert not result.ok and result.permanent and "no longer accepts" in result.error


def test_a_refusal_says_what_apprise_saw(notify_settings: Any, http_sink: HttpSink) -> None:
    http_sink.responses["/apprise"] = 410
    [result] = send(
        "apprise",
        notify_settings,
        outgoing("apprise", [f"json://127.0.0.1:{http_sink.port}/apprise"]),
    )
    assert not result.ok and not result.permanent
    assert "410" in result.error


def test_many_messages_go_out_concurrently_and_all_arrive(
    notify_settings: Any, http_sink: HttpSink
) -> None:
    target = f"json://127.0.0.1:{http_sink.port}/apprise"
    results = send("apprise", notify_settings, outgoing("apprise", [target] * 30))
    assert all(r.ok for r in results) and len(http_sink.requests) == 30
    assert sorted(r.delivery_id for r in results) == list(range(1, 31))
