"""WhatsApp: Twilio's API with whatsapp: addresses, a 1600-character body, links kept."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.notify.channel_kit import outgoing, send, update_view
from tests.notify.sinks import HttpSink
from tidings.notify.channels.whatsapp.channel import LIMIT, WhatsAppChannel, personalise
from tidings.notify.protocol import UNSUBSCRIBE_URL, InvalidTarget


@pytest.mark.parametrize(
    "typed", ["+972541234567", "whatsapp:+972541234567", " WhatsApp:+972 54-123-4567"]
)
def test_a_whatsapp_number_is_plain_e164(typed: str) -> None:
    assert WhatsAppChannel.normalise_target(typed) == "+972541234567"


def test_a_number_without_country_code_is_refused() -> None:
    with pytest.raises(InvalidTarget, match="country code"):
        WhatsAppChannel.normalise_target("whatsapp:054-123-4567")


def test_to_and_from_are_whatsapp_addresses(notify_settings: Any, http_sink: HttpSink) -> None:
    [result] = send("whatsapp", notify_settings, outgoing("whatsapp", ["+972541234567"]))
    assert result.ok
    form = {k: v[0] for k, v in parse_qs(http_sink.requests[0].body.decode()).items()}
    assert form["To"] == "whatsapp:+972541234567"
    assert form["From"] == "whatsapp:+15550002222"
    assert "*Acme: Elevated API errors*" in form["Body"]
    assert "https://status.acme.test/incidents/inc0001" in form["Body"]
    assert "Unsubscribe: https://status.acme.test/unsubscribe/token1" in form["Body"]
    assert UNSUBSCRIBE_URL not in form["Body"]


@pytest.mark.parametrize("language", ["en", "he"])
def test_a_long_update_is_cut_to_1600_characters_keeping_both_links(language: str) -> None:
    view = update_view(language, body="word " * 1000)
    text = WhatsAppChannel.render(view).text
    mine = personalise(text, "https://status.acme.test/unsubscribe/" + "t" * 150)
    assert len(mine) <= LIMIT
    assert "…" in mine and view.incident_url in mine and "/unsubscribe/ttt" in mine


def test_without_an_unsubscribe_link_its_line_goes() -> None:
    text = WhatsAppChannel.render(update_view()).text
    assert UNSUBSCRIBE_URL in text
    mine = personalise(text, "")
    assert "Unsubscribe" not in mine and mine.endswith("https://status.acme.test/incidents/inc0001")
