"""The failure policy and the maintenance clock, as pure rules over tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tidings.config import TidingsSettings, is_fqdn
from tidings.notify.protocol import Answer, Result
from tidings.notify.rules import (
    enhanced_code,
    http_verdict,
    maintenance_passed,
    smtp_verdict,
    verdict,
)

# Postfix's words when it refuses our greeting or our sender: a 5.5.x or 5.1.8 reply that
# comes at the RCPT step although no recipient is at fault.
HELO_REJECTED = "5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname"
SENDER_DOMAIN_UNKNOWN = "5.1.8 <status@acme.test>: Sender address rejected: Domain not found"


# Outcomes: "dead", the address is wrong, disable at once; "rejected", refused but not for the
# address, fail this one and disable after several in a row; "failed", about our side of the
# conversation, never counted against the recipient; "retry", temporary. We send one recipient
# per transaction, so a 5.1.1 at DATA is still about the address; "No such user" at MAIL FROM
# is about our sender; where the enhanced code contradicts the reply code, the reply code wins.
@pytest.mark.parametrize(
    ("code", "text", "stage", "outcome"),
    [
        (550, "5.1.1 <gone@example.com>: Recipient address rejected: User unknown", "rcpt", "dead"),
        (550, "5.1.2 Host or domain name not found", "rcpt", "dead"),
        (553, "5.1.3 Bad recipient address syntax", "rcpt", "dead"),
        (550, "5.1.6 Recipient no longer on server", "rcpt", "dead"),
        (556, "5.1.10 Recipient address has null MX", "rcpt", "dead"),
        (550, "5.2.1 Mailbox disabled, not accepting messages", "rcpt", "dead"),
        (550, "Requested action not taken: mailbox unavailable", "rcpt", "dead"),
        (551, "User not local; please try <forward@example.org>", "rcpt", "dead"),
        (553, "Requested action not taken: mailbox name not allowed", "rcpt", "dead"),
        (550, "5.1.1 User unknown", "data", "dead"),
        (554, "5.7.1 <gone@example.com>: Relay access denied", "rcpt", "rejected"),
        (550, "5.7.1 Message rejected as spam", "data", "rejected"),
        (552, "5.3.4 Message size exceeds fixed maximum message size", "data", "rejected"),
        (552, "5.2.2 Mailbox full", "rcpt", "rejected"),
        (554, "Transaction failed", "rcpt", "rejected"),
        (550, "Message content rejected", "data", "rejected"),
        (504, HELO_REJECTED, "rcpt", "failed"),
        (501, "5.5.4 Syntax: MAIL FROM:<address>", "mail", "failed"),
        (503, "Bad sequence of commands", "rcpt", "failed"),
        (553, SENDER_DOMAIN_UNKNOWN, "rcpt", "failed"),
        (550, "5.1.7 Bad sender's mailbox address syntax", "rcpt", "failed"),
        (550, "5.7.1 Sender blocked", "mail", "failed"),
        (550, "No such user", "mail", "failed"),
        (452, "4.2.2 <full@example.com>: Mailbox full", "rcpt", "retry"),
        (451, "4.7.1 Greylisted, try again later", "rcpt", "retry"),
        (421, "4.4.2 Error: timeout exceeded", "mail", "retry"),
        (450, "4.1.1 Recipient address rejected: unverified address", "rcpt", "retry"),
        (550, "4.2.2 contradicts itself", "rcpt", "dead"),
        (250, "2.0.0 Ok: queued", "data", "sent"),
    ],
)
def test_smtp_replies_are_judged_by_what_they_say(code, text, stage, outcome):
    assert smtp_verdict(code, text, stage).outcome == outcome


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "sent"), (204, "sent"), (410, "dead"), (404, "dead"), (400, "rejected"),
        (401, "rejected"), (403, "rejected"), (422, "rejected"), (408, "retry"), (429, "retry"),
        (500, "retry"), (502, "retry"), (503, "retry"), (301, "retry"),
    ],
)  # fmt: skip
def test_http_answers_of_a_target_url(status, outcome):
    assert http_verdict(status).outcome == outcome


def test_a_result_is_judged_by_the_answer_first_then_by_the_channel():
    refused = Answer("smtp", 504, "5.5.2 <localhost>: Helo command rejected", "rcpt")
    assert verdict(Result(1, ok=False, permanent=True, answer=refused)).outcome == "failed"
    assert verdict(Result(1, ok=False, permanent=True)).outcome == "dead"  # a vendor API said so
    assert verdict(Result(1, ok=False, error="timeout")).outcome == "retry"  # no answer at all
    assert verdict(Result(1, ok=True)).outcome == "sent"
    # 200-ish but the channel wanted something else: try again, never "sent"
    assert verdict(Result(1, ok=False, answer=Answer("http", 204))).outcome == "retry"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("5.1.1 <x@y.z>: Recipient address rejected", (5, 1, 1)),
        ("  4.2.2 Mailbox full", (4, 2, 2)),
        ("5.1.10 null MX", (5, 1, 10)),
        ("Requested action not taken", None),
        ("5.1 not a code", None),
        ("25.1.1 not a code", None),
    ],
)
def test_enhanced_codes_are_read_from_the_start_of_the_reply(text, code):
    assert enhanced_code(text) == code


START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
END = START + timedelta(hours=2)


@pytest.mark.parametrize(
    ("notice", "maintenance", "at", "passed"),
    [
        ("scheduled", "scheduled", START - timedelta(minutes=1), False),
        ("scheduled", "scheduled", START, True),
        ("scheduled", "in_progress", START - timedelta(minutes=30), True),  # started by hand
        ("in_progress", "in_progress", END - timedelta(minutes=1), False),
        ("in_progress", "in_progress", END, True),
        ("in_progress", "completed", START + timedelta(minutes=10), True),
        ("verifying", "verifying", END + timedelta(minutes=5), True),
        ("completed", "completed", END + timedelta(days=1), False),  # a closing notice goes
        ("cancelled", "cancelled", END + timedelta(days=1), False),
    ],
)
def test_a_maintenance_notice_whose_moment_passed(notice, maintenance, at, passed):
    assert maintenance_passed(notice, maintenance, START, END, at) is passed


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("status.acme.test", True), ("mail.example.com", True), ("localhost", False),
        ("localhost.localdomain", False), ("vm.localdomain", False), ("vm", False),
        ("127.0.0.1", False), ("-bad.example.com", False), ("a..b.com", False),
    ],
)  # fmt: skip
def test_what_counts_as_a_fully_qualified_name(name, ok):
    assert is_fqdn(name) is ok


@pytest.mark.parametrize(
    ("public_url", "email_from", "expected"),
    [
        ("https://status.acme.test", "status@acme.test", "status.acme.test"),
        ("https://Status.Acme.Test:8443/x", "status@acme.test", "status.acme.test"),
        # no name in the URL, and this machine calls itself localhost: the sender's domain
        ("http://127.0.0.1:8000", "status@acme.test", "acme.test"),
        ("http://localhost:8000", "alerts@mail.example.org", "mail.example.org"),
    ],
)
def test_the_smtp_greeting_is_fully_qualified_by_default(
    monkeypatch, public_url, email_from, expected
):
    import socket

    monkeypatch.setattr(socket, "getfqdn", lambda name="": "localhost")
    settings = TidingsSettings(public_url=public_url, email_from=email_from)
    assert settings.smtp_helo_name == expected


def test_the_machine_name_is_used_when_the_url_has_none(monkeypatch):
    import socket

    monkeypatch.setattr(socket, "getfqdn", lambda name="": "mx1.acme-hosting.example")
    assert (
        TidingsSettings(public_url="http://10.0.0.5").smtp_helo_name == "mx1.acme-hosting.example"
    )


def test_a_greeting_that_is_not_fully_qualified_is_refused_at_start():
    with pytest.raises(ValueError, match="fully qualified"):
        TidingsSettings(smtp_helo="localhost")
    assert TidingsSettings(smtp_helo="[192.0.2.1]").smtp_helo_name == "[192.0.2.1]"
    assert TidingsSettings(smtp_helo="mail.acme.test").smtp_helo_name == "mail.acme.test"


def test_dkim_settings_go_together(tmp_path):
    with pytest.raises(ValueError, match="go together"):
        TidingsSettings(dkim_selector="s1")
    with pytest.raises(ValueError, match="go together"):
        TidingsSettings(dkim_key_file=tmp_path / "key.pem")
