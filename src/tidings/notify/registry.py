"""The channels Tidings can send through: one line each. Adding a channel is a folder
``channels/<kind>/`` with ``channel.py``, one line here and a test file; the shared contract
test (tests/notify/test_channel_contract.py) picks it up."""

from __future__ import annotations

from tidings.notify.channels.apprise.channel import AppriseChannel
from tidings.notify.channels.email.channel import EmailChannel
from tidings.notify.channels.slack.channel import SlackChannel
from tidings.notify.channels.sms.channel import SmsChannel
from tidings.notify.channels.teams.channel import TeamsChannel
from tidings.notify.channels.telegram.channel import TelegramChannel
from tidings.notify.channels.webhook.channel import WebhookChannel
from tidings.notify.channels.whatsapp.channel import WhatsAppChannel
from tidings.notify.protocol import Channel

CHANNELS: dict[str, type[Channel]] = {
    "email": EmailChannel,
    "webhook": WebhookChannel,
    "slack": SlackChannel,
    "teams": TeamsChannel,
    "telegram": TelegramChannel,
    "sms": SmsChannel,
    "whatsapp": WhatsAppChannel,
    "apprise": AppriseChannel,
}


def channel_class(kind: str) -> type[Channel]:
    try:
        return CHANNELS[kind]
    except KeyError:
        raise KeyError(f"no channel {kind!r}; known: {', '.join(sorted(CHANNELS))}") from None
