"""SMS: phone numbers in E.164, messages that fit three segments, and Twilio's answers."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.notify.channel_kit import TWILIO, outgoing, send, update_view
from tests.notify.sinks import HttpSink
from tidings.notify.channels.sms.channel import GSM_BASIC, GSM_EXTENDED, fit_sms, is_gsm, segments
from tidings.notify.protocol import InvalidTarget
from tidings.notify.twilio import normalise_phone

URL = "https://status.acme.test/he/incidents/inc0001"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+972541234567", "+972541234567"),
        ("+972 54-123-4567", "+972541234567"),
        ("+1 (555) 010-0001", "+15550100001"),
        ("\u200e+972\u00a054\u2011123\u20134567\u200f", "+972541234567"),  # copied from Hebrew text
        ("  +44 20 7183 8750 ", "+442071838750"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(typed: str, expected: str) -> None:
    assert normalise_phone(typed) == expected


@pytest.mark.parametrize("typed", ["054-123-4567", "0541234567", "00972541234567"])
def test_a_number_without_country_code_is_refused_with_advice(typed: str) -> None:
    with pytest.raises(InvalidTarget, match="country code"):
        normalise_phone(typed)


@pytest.mark.parametrize(
    "typed",
    ["", "+1234567", "+1234567890123456", "+0541234567", "+972.54.123.4567", "+97254abc4567",
     "tel:+972541234567", "+٩٧٢٥٤١٢٣٤٥٦٧", "erez@example.com"],
)  # fmt: skip
def test_anything_else_is_refused(typed: str) -> None:
    with pytest.raises(InvalidTarget, match=r"phone number|country code"):
        normalise_phone(typed)


def test_the_gsm_alphabet_has_its_127_characters_and_10_extensions() -> None:
    assert len(GSM_BASIC) == 127 and len(GSM_EXTENDED) == 10
    assert is_gsm("Acme: Resolved - API {ok} €5 @ 10:00") and not is_gsm("שלום") and not is_gsm("…")


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 1), ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3), ("a" * 459, 3),
        ("€" * 80, 1), ("€" * 81, 2),  # two septets each
        ("a" * 158 + "€", 1), ("a" * 159 + "€", 2),
        ("a" * 152 + "€" + "a" * 152, 3),  # 306 septets, but the escape pair is not split
        ("א" * 70, 1), ("א" * 71, 2), ("א" * 134, 2), ("א" * 135, 3),
        ("😀" * 35, 1), ("😀" * 36, 2),  # a surrogate pair is two UCS-2 units
        ("a" * 150 + "é", 1), ("a" * 150 + "ę", 3),  # é is GSM, ę is not
    ],
)  # fmt: skip
def test_segments_are_counted_as_handsets_count_them(text: str, count: int) -> None:
    assert segments(text) == count


def test_a_short_message_is_left_alone() -> None:
    assert fit_sms("Acme: Identified - API errors", "We found it.", URL) == (
        f"Acme: Identified - API errors\nWe found it.\n{URL}"
    )


def test_a_long_english_body_is_cut_with_three_dots_and_the_url_kept() -> None:
    text = fit_sms("Acme: Identified - API errors", "We are looking into it. " * 40, URL)
    assert segments(text) == 3 and is_gsm(text)
    assert text.endswith(f"...\n{URL}")
    assert len(text) > 400  # it uses the room it has


def test_a_long_hebrew_body_is_cut_with_an_ellipsis_within_three_ucs2_segments() -> None:
    text = fit_sms("Acme: הבעיה זוהתה - שגיאות ב-API", "אנחנו בודקים את הבעיה. " * 40, URL)
    assert segments(text) == 3 and not is_gsm(text)
    assert text.endswith(f"…\n{URL}")
    assert len(text) <= 3 * 67


def test_a_title_too_long_for_the_message_is_cut_and_the_body_dropped() -> None:
    text = fit_sms("Acme: בבדיקה - " + "כותרת ארוכה מאוד " * 20, "גוף ההודעה", URL)
    assert segments(text) <= 3 and text.endswith(f"…\n{URL}")
    assert "גוף" not in text


_alphabet = st.sampled_from(sorted(GSM_BASIC | GSM_EXTENDED) + list("אבגדהוזחטשת…😀ę "))


@given(
    head=st.text(_alphabet, min_size=1, max_size=300),
    body=st.text(_alphabet, max_size=700),
    path=st.text("abcdefghijklmnopqrstuvwxyz0123456789/", max_size=60),
)
def test_every_message_fits_three_segments_and_keeps_its_url(
    head: str, body: str, path: str
) -> None:
    url = f"https://status.acme.test/{path}"
    text = fit_sms(head, body, url)
    assert text.endswith(url)
    assert segments(text) <= 3
    head = " ".join(head.split())
    whole = "\n".join(p for p in (head, " ".join(body.split()), url) if p)
    if segments(whole) <= 3:
        assert text == whole
    else:  # the body was cut, or dropped and the head kept or cut; never the URL
        assert text.endswith((f"...\n{url}", f"…\n{url}")) or text in (f"{head}\n{url}", url)


@pytest.mark.parametrize("language", ["en", "he"])
def test_the_rendered_sms_fits_and_links_to_the_incident(language: str) -> None:
    view = update_view(language, body="We are still working on it, more soon. " * 30)
    from tidings.notify.channels.sms.channel import SmsChannel

    text = SmsChannel.render(view).text
    assert segments(text) <= 3
    assert text.startswith(f"Acme: {view.status_label} - {view.title}\n")
    assert text.endswith(view.incident_url)


def test_a_message_is_posted_as_a_form_with_basic_auth(
    notify_settings: Any, http_sink: HttpSink
) -> None:
    [result] = send("sms", notify_settings, outgoing("sms", ["+972541234567"]))
    assert result.ok and result.provider_ref == "SM1"
    [req] = http_sink.requests
    assert req.path == TWILIO
    assert req.headers["Authorization"] == "Basic " + base64.b64encode(b"AC123:secret").decode()
    assert req.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
    assert form["To"] == "+972541234567" and form["From"] == "+15550001111"
    assert form["Body"].startswith("Acme: Identified - Elevated API errors\n")
    assert form["Body"].endswith("https://status.acme.test/incidents/inc0001")


def test_a_messaging_service_sends_instead_of_a_number(
    notify_settings: Any, http_sink: HttpSink
) -> None:
    settings = notify_settings.model_copy(update={"twilio_from": "MG0123456789"})
    send("sms", settings, outgoing("sms", ["+972541234567"]))
    form = parse_qs(http_sink.requests[0].body.decode())
    assert form["MessagingServiceSid"] == ["MG0123456789"] and "From" not in form


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [
        (400, 21211, True),  # invalid "To"
        (400, 21614, True),  # not a mobile number
        (400, 21610, True),  # the recipient replied STOP
        (400, 21606, False),  # our "From" is wrong: do not disable the recipient
        (401, 20003, False),  # our credentials are wrong
        (429, 20429, False),
        (500, 20500, False),
    ],
)
def test_twilio_errors_are_permanent_only_for_the_number(
    status: int, code: int, permanent: bool, notify_settings: Any, http_sink: HttpSink
) -> None:
    http_sink.answers[TWILIO] = (status, {"code": code, "message": "no", "status": status})
    [result] = send("sms", notify_settings, outgoing("sms", ["+972541234567"]))
    assert not result.ok and result.permanent is permanent
    assert str(code) in result.error


def test_without_twilio_settings_nothing_is_sent_and_it_is_retried(
    notify_settings: Any, http_sink: HttpSink
) -> None:
    settings = notify_settings.model_copy(update={"twilio_auth_token": ""})
    [result] = send("sms", settings, outgoing("sms", ["+972541234567"]))
    assert not result.ok and not result.permanent and "not configured" in result.error
    assert http_sink.requests == []
