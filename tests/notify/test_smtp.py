"""The email channel against real SMTP servers on loopback (aiosmtpd, scripted like a strict
Postfix): the greeting, TLS, AUTH, connections the server closed while idle, DKIM, the bulk
headers and the envelope sender, and subjects that try to add headers."""

from __future__ import annotations

import asyncio
import email
import time
from email import policy
from pathlib import Path
from typing import Any

import aiosmtplib
import dkim
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.notify.certs import make_certs
from tests.notify.channel_kit import outgoing, send, update_view
from tests.notify.sinks import SmtpSink
from tidings.notify import http
from tidings.notify.channels.email.channel import EmailChannel
from tidings.notify.rules import verdict

TARGETS = ["erez@example.com", "noa@example.com", "dana@example.com"]


@pytest.fixture
def sink_factory():
    started: list[SmtpSink] = []

    def make(**kwargs: Any) -> SmtpSink:
        sink = SmtpSink(**kwargs).start()
        started.append(sink)
        return sink

    yield make
    for sink in started:
        sink.stop()


def at(settings: Any, sink: SmtpSink, **changes: Any) -> Any:
    return settings.model_copy(update={"smtp_port": sink.port, **changes})


def parsed(mail: Any) -> email.message.EmailMessage:
    return email.message_from_bytes(mail.data, policy=policy.default)


# --- the greeting --------------------------------------------------------------------------


def test_a_strict_server_refuses_a_bare_name_and_accepts_our_greeting(
    notify_settings, sink_factory
):
    strict = sink_factory()
    strict.strict_helo = True

    async def as_localhost() -> Any:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=strict.port, local_hostname="localhost")
        async with smtp:
            return await smtp.sendmail(
                "status@acme.test", ["erez@example.com"], b"Subject: x\r\n\r\nx"
            )

    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        asyncio.run(as_localhost())
    assert refused.value.recipients[0].code == 504  # the server really checks

    results = send("email", at(notify_settings, strict), outgoing("email", TARGETS))
    assert [r.ok for r in results] == [True, True, True]
    assert set(strict.helos[1:]) == {"status.acme.test"}  # the host of TIDINGS_PUBLIC_URL
    assert len(strict.mails) == 3


def test_the_greeting_can_be_set(notify_settings, sink_factory):
    sink = sink_factory()
    send(
        "email", at(notify_settings, sink, smtp_helo="mx.acme.test"), outgoing("email", TARGETS[:1])
    )
    assert sink.helos == ["mx.acme.test"]


# --- TLS and AUTH ---------------------------------------------------------------------------


@pytest.fixture
def certs(tmp_path: Path) -> Any:
    return make_certs(tmp_path / "certs")


def test_starttls_with_a_private_ca(notify_settings, sink_factory, certs):
    sink = sink_factory(starttls=certs.server_context())
    settings = at(notify_settings, sink, smtp_security="starttls", smtp_tls_ca_file=certs.ca_file)
    assert [r.ok for r in send("email", settings, outgoing("email", TARGETS))] == [True] * 3
    assert len(sink.mails) == 3


def test_a_certificate_nobody_vouches_for_is_refused_unless_checks_are_off(
    notify_settings, sink_factory, certs
):
    sink = sink_factory(starttls=certs.server_context())
    settings = at(notify_settings, sink, smtp_security="starttls")
    [result] = send("email", settings, outgoing("email", TARGETS[:1]))
    assert not result.ok and verdict(result).outcome == "retry"
    assert "certificate" in result.error.lower() and sink.mails == []

    unchecked = at(notify_settings, sink, smtp_security="starttls", smtp_tls_verify=False)
    [result] = send("email", unchecked, outgoing("email", TARGETS[:1]))
    assert result.ok and len(sink.mails) == 1


def test_implicit_tls(notify_settings, sink_factory, certs):
    sink = sink_factory(implicit_tls=certs.server_context())
    settings = at(notify_settings, sink, smtp_security="tls", smtp_tls_ca_file=certs.ca_file)
    assert [r.ok for r in send("email", settings, outgoing("email", TARGETS[:2]))] == [True, True]


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"tidings", b"s3cret")
    return AuthResult(success=ok, handled=False)  # aiosmtpd then answers 535 itself


def test_smtp_auth(notify_settings, sink_factory, certs):
    sink = sink_factory(starttls=certs.server_context(), authenticator=_authenticator)
    settings = at(notify_settings, sink, smtp_security="starttls", smtp_tls_ca_file=certs.ca_file,
                  smtp_username="tidings", smtp_password="s3cret")  # fmt: skip
    assert [r.ok for r in send("email", settings, outgoing("email", TARGETS))] == [True] * 3

    wrong = settings.model_copy(update={"smtp_password": "guess"})
    [result] = send("email", wrong, outgoing("email", TARGETS[:1]))
    assert not result.ok and "535" in result.error and verdict(result).outcome == "retry"
    assert len(sink.mails) == 3


# --- connections the server closed ------------------------------------------------------------


@pytest.mark.parametrize("say_goodbye", [True, False], ids=["421-then-close", "silent-close"])
@pytest.mark.parametrize("check_after", [0.5, 3600.0], ids=["noop-check", "no-check"])
def test_connections_closed_while_idle_are_reopened_without_a_failure(
    notify_settings, sink_factory, say_goodbye, check_after
):
    sink = sink_factory(idle_timeout=1.5, say_goodbye=say_goodbye)
    settings = at(notify_settings, sink, smtp_connections=3, smtp_idle_check_seconds=check_after)

    async def go() -> tuple[list[Any], list[Any]]:
        async with http.session(allow_private=True) as session:
            channel = EmailChannel(settings, session)
            try:
                first = await channel.send(outgoing("email", TARGETS))
                await asyncio.sleep(3.0)  # the quiet period: the server drops every connection
                second = await channel.send(
                    outgoing("email", [f"late{i}@example.com" for i in range(6)])
                )
                return first, second
            finally:
                await channel.close()

    first, second = asyncio.run(go())
    assert [(r.ok, r.error) for r in first + second] == [(True, "")] * 9
    assert len(sink.mails) == 9
    assert len(sink.helos) > 3  # the dropped connections were opened again


# --- what the message says about itself ------------------------------------------------------------


@pytest.fixture
def dkim_key(tmp_path: Path) -> tuple[Path, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "dkim.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))  # fmt: skip
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)  # fmt: skip
    return path, public


def test_mail_is_dkim_signed_bulk_marked_and_bounces_to_the_return_path(
    notify_settings, smtp_sink, dkim_key
):
    import base64

    key_file, public = dkim_key
    settings = notify_settings.model_copy(update={
        "dkim_key_file": key_file, "dkim_selector": "tidings2026",
        "email_return_path": "bounces@acme.test",
    })  # fmt: skip
    results = send("email", settings, outgoing("email", TARGETS))
    assert all(r.ok for r in results)

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"tidings2026._domainkey.acme.test."
        return b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    for mail in smtp_sink.mails:
        assert mail.sender == "bounces@acme.test"  # MAIL FROM: where bounces go
        assert dkim.verify(mail.data, dnsfunc=dns), mail.data[:300]
        msg = parsed(mail)
        assert msg["From"] == "Acme <status@acme.test>"
        assert msg["Precedence"] == "bulk"
        assert msg["Feedback-ID"] == "7:en:update:acme.test"
        assert msg["To"] == mail.recipients[0]
        tampered = mail.data.replace(b"We are", b"We were")
        assert not dkim.verify(tampered, dnsfunc=dns)


def test_a_line_break_in_a_title_cannot_add_a_header(notify_settings, smtp_sink):
    view = update_view(title="Elevated errors\r\nBcc: x@evil.test\r\nX-Evil: yes")
    results = send("email", notify_settings, outgoing("email", ["erez@example.com"], view))
    assert results[0].ok
    [mail] = smtp_sink.mails
    assert mail.recipients == ["erez@example.com"]
    msg = parsed(mail)
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert msg["Subject"] == "[Acme] Elevated errors Bcc: x@evil.test X-Evil: yes: Identified"
    head = mail.data.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in head and b"\nX-Evil" not in head


def test_dkim_signing_costs_little(notify_settings, dkim_key):
    """Not a timing test: the figures are in bench/email_dkim.py. This checks the signer signs each
    recipient's own bytes, so no two signatures are the same."""
    settings = notify_settings.model_copy(
        update={"dkim_key_file": dkim_key[0], "dkim_selector": "s"}
    )
    channel = EmailChannel(settings)
    signed = [channel.bytes_for(o) for o in outgoing("email", TARGETS)]
    headers = [s.split(b"\r\n\r\n", 1)[0] for s in signed]
    assert len({h.split(b"bh=")[1][:44] for h in headers}) == 3  # the links differ per recipient
    assert all(s.startswith(b"DKIM-Signature: v=1; a=rsa-sha256;") for s in signed)


def test_a_bad_dkim_key_is_named_at_start(notify_settings, tmp_path):
    from tidings.notify.channels.email.dkim import DkimError

    bad = tmp_path / "key.pem"
    bad.write_text("not a key")
    settings = notify_settings.model_copy(update={"dkim_key_file": bad, "dkim_selector": "s"})
    with pytest.raises(DkimError, match="PEM private key"):
        EmailChannel(settings)


def test_nothing_listening_is_logged_once_and_retried(notify_settings, caplog):
    from tests.ports import free_port

    settings = notify_settings.model_copy(update={"smtp_port": free_port()})
    started = time.monotonic()
    results = send("email", settings, outgoing("email", [f"u{i}@example.com" for i in range(20)]))
    assert time.monotonic() - started < 10  # the batch fails fast, not each on its own
    assert {verdict(r).outcome for r in results} == {"retry"}
    assert all(f"cannot connect to the SMTP server 127.0.0.1:{settings.smtp_port}" in r.error
               for r in results)  # fmt: skip
    lines = [r for r in caplog.records if "cannot connect to the SMTP server" in r.getMessage()]
    assert len(lines) == 1 and "TIDINGS_SMTP_HOST" in lines[0].getMessage()
