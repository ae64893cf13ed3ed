"""Telegram: the forms a chat id takes, the sendMessage request, and which answers are final."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.notify.channel_kit import outgoing, send, update_view
from tests.notify.sinks import HttpSink
from tests.ports import free_port
from tidings.notify.channels.telegram.channel import TEXT_LIMIT, TelegramChannel
from tidings.notify.protocol import InvalidTarget

SEND = "/bot123:abc/sendMessage"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("-1001234567890", "-1001234567890"),  # a supergroup or channel
        ("-4012345678", "-4012345678"),  # a group
        (" 42 ", "42"),  # a user
        ("@Acme_Status", "@acme_status"),
        ("https://t.me/acme_status", "@acme_status"),
        ("t.me/AcmeStatus/", "@acmestatus"),
    ],
)
def test_chat_ids_and_channel_names_are_accepted(typed: str, expected: str) -> None:
    assert TelegramChannel.normalise_target(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "0",
        "-0",
        "0042",
        "acme_status",
        "@abc",
        "@1acme",
        "@acme-status",
        "12ab",
        "+972541234567",
    ],
)
def test_anything_else_is_refused_with_the_forms_it_may_take(typed: str) -> None:
    with pytest.raises(InvalidTarget, match="chat id"):
        TelegramChannel.normalise_target(typed)


def test_one_rendered_message_goes_to_each_chat(notify_settings: Any, http_sink: HttpSink) -> None:
    results = send(
        "telegram", notify_settings, outgoing("telegram", ["-1001234567890", "@acme_status"])
    )
    assert all(r.ok for r in results)
    first, second = (json.loads(r.body) for r in http_sink.requests)
    assert {first["chat_id"], second["chat_id"]} == {-1001234567890, "@acme_status"}
    assert first["parse_mode"] == "HTML" and first["disable_web_page_preview"] is True
    assert first["text"] == second["text"]
    text = first["text"]
    assert text.startswith("<b>Acme: Elevated API errors</b>\n<i>Identified</i>")
    assert "<b>investigating</b> &amp; will" in text
    assert '<a href="https://acme.test/x">report back</a>' in text
    assert "<b>Next update by:</b> 2026-11-23 12:30 UTC" in text
    assert '<a href="https://status.acme.test/incidents/inc0001">' in text


def test_html_in_an_update_is_shown_not_interpreted() -> None:
    text = TelegramChannel.render(update_view(body="if a <b> and x < 3 & y > 2")).text
    assert "if a &lt;b&gt; and x &lt; 3 &amp; y &gt; 2" in text


@pytest.mark.parametrize("language", ["en", "he"])
def test_a_long_update_stays_within_telegrams_limit(language: str) -> None:
    view = update_view(language, body="<&> " * 3000)
    text = TelegramChannel.render(view).text
    assert 3000 < len(text) <= TEXT_LIMIT
    assert "&lt;&amp;&gt;…" in text and view.incident_url in text


@pytest.mark.parametrize(
    ("status", "description", "permanent"),
    [
        (403, "Forbidden: bot was blocked by the user", True),
        (403, "Forbidden: bot was kicked from the channel chat", True),
        (400, "Bad Request: chat not found", True),
        (400, "Bad Request: group chat was upgraded to a supergroup chat", True),
        (400, "Bad Request: can't parse entities: unexpected end tag", False),  # our fault
        (401, "Unauthorized", False),  # the bot token is wrong, not the chat
        (404, "Not Found", False),
        (429, "Too Many Requests: retry after 5", False),
    ],
)
def test_only_answers_about_the_chat_are_permanent(
    status: int, description: str, permanent: bool, notify_settings: Any, http_sink: HttpSink
) -> None:
    http_sink.answers[SEND] = (
        status,
        {"ok": False, "error_code": status, "description": description},
    )
    [result] = send("telegram", notify_settings, outgoing("telegram", ["42"]))
    assert not result.ok and result.permanent is permanent
    assert description in result.error


def test_a_200_that_is_not_ok_is_a_temporary_failure(
    notify_settings: Any, http_sink: HttpSink
) -> None:
    http_sink.answers[SEND] = (200, {"ok": False, "description": "odd"})
    [result] = send("telegram", notify_settings, outgoing("telegram", ["42"]))
    assert not result.ok and not result.permanent


def test_the_message_id_is_kept(notify_settings: Any, http_sink: HttpSink) -> None:
    http_sink.answers[SEND] = (200, {"ok": True, "result": {"message_id": 777}})
    [result] = send("telegram", notify_settings, outgoing("telegram", ["42"]))
    assert result.ok and result.provider_ref == "777"


def test_the_bot_token_never_appears_in_an_error(notify_settings: Any) -> None:
    settings = notify_settings.model_copy(
        update={
            "telegram_api_base": f"http://127.0.0.1:{free_port()}",
            "telegram_bot_token": "999:SECRET",
        }
    )
    [result] = send("telegram", settings, outgoing("telegram", ["42"]))
    assert not result.ok and not result.permanent and "SECRET" not in result.error


def test_without_a_bot_token_nothing_is_sent(notify_settings: Any, http_sink: HttpSink) -> None:
    settings = notify_settings.model_copy(update={"telegram_bot_token": ""})
    [result] = send("telegram", settings, outgoing("telegram", ["42"]))
    assert not result.ok and not result.permanent and "TELEGRAM_BOT_TOKEN" in result.error
    assert http_sink.requests == []
