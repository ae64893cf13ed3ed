"""Fixtures for the public subscription tests: the notify sinks (real SMTP and HTTP servers on
loopback) and a few helpers."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage

from tests.notify.conftest import http_sink, notify_settings, smtp_sink  # noqa: F401


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def confirm_path(message: EmailMessage) -> str:
    """The path of the confirmation link in a mail's plain-text part."""
    text = message.get_body(("plain",)).get_content()
    [url] = re.findall(r"https://status\.acme\.test(/subscriptions/confirm/\S+)", text)
    return str(url)
