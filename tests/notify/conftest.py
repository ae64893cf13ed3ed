from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.notify.sinks import HttpSink, SmtpSink
from tidings.config import overridden


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def http_sink() -> Iterator[HttpSink]:
    with HttpSink() as sink:
        yield sink


@pytest.fixture
def notify_settings(tmp_path: Any, smtp_sink: SmtpSink, http_sink: HttpSink) -> Iterator[Any]:
    """Settings pointing every channel at the local sinks; private targets allowed for them."""
    with overridden(
        data_dir=tmp_path / "data",
        site_name="Acme",
        public_url="https://status.acme.test",
        smtp_host="127.0.0.1",
        smtp_port=smtp_sink.port,
        email_from="status@acme.test",
        allow_private_targets=True,
        telegram_api_base=http_sink.url,
        twilio_api_base=http_sink.url,
        twilio_account_sid="AC123",
        twilio_auth_token="secret",
        twilio_from="+15550001111",
        twilio_whatsapp_from="+15550002222",
        telegram_bot_token="123:abc",
    ) as s:
        yield s
