"""WhatsApp through Twilio's Messages API (``To=whatsapp:+E164``, ``From=whatsapp:+E164``).

The message is free-form text of up to 1600 characters with WhatsApp's own emphasis (``*bold*``,
``_italic_``): title, status, as much of the update as fits, affected components, the next
update time, the incident link and an unsubscribe link; the body is cut, never the links.

Out of scope: WhatsApp only delivers free-form messages inside the 24-hour window after the
recipient last wrote to the business; outside it, a business-initiated message must be a
pre-approved template (Twilio Content API, ``ContentSid`` + ``ContentVariables``). Twilio
accepts the request either way and reports such a failure (error 63016) later, through its
status callback, which Tidings does not receive yet; so a 2xx here means "queued by Twilio".

The Twilio client is the SMS channel's (:class:`TwilioMessages`): one API, one error mapping."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from tidings.notify.channels.base import PerRecipient
from tidings.notify.protocol import UNSUBSCRIBE_URL, Rendered, facts, shorten
from tidings.notify.twilio import TwilioMessages, normalise_phone

if TYPE_CHECKING:
    import aiohttp

    from tidings.config import TidingsSettings
    from tidings.notify.protocol import Outgoing, Result, UpdateView

LIMIT = 1600
#: Room kept for the recipient's unsubscribe link, which replaces the placeholder at send time.
LINK_ROOM = 300


def normalise_whatsapp(target: str) -> str:
    value = target.strip()
    if value.lower().startswith("whatsapp:"):
        value = value[len("whatsapp:") :]
    return normalise_phone(value)


def render_text(view: UpdateView) -> str:
    labels = view.labels
    head = f"*{view.site_name}: {view.title}*\n_{view.status_label}_"
    lines = [f"*{label}:* {value}" for label, value in facts(view)]
    links = (f"{labels.get('details', 'Details and updates')}: {view.incident_url}\n"
             f"{labels.get('unsubscribe', 'Unsubscribe')}: {UNSUBSCRIBE_URL}")  # fmt: skip
    tail = "\n".join([*lines, "", links]) if lines else links
    room = LIMIT - LINK_ROOM - len(head) - len(tail) - 4
    body = shorten(view.body_text.strip(), room)
    return "\n\n".join(p for p in (head, body, tail) if p)


def personalise(text: str, unsubscribe_url: str) -> str:
    """The recipient's unsubscribe link in place of the placeholder, or no such line at all
    when there is no link or it would push the message over the limit."""
    if unsubscribe_url:
        mine = text.replace(UNSUBSCRIBE_URL, unsubscribe_url)
        if len(mine) <= LIMIT:
            return mine
    return "\n".join(line for line in text.split("\n") if UNSUBSCRIBE_URL not in line)


class WhatsAppChannel(PerRecipient):
    kind: ClassVar[str] = "whatsapp"

    def __init__(self, settings: TidingsSettings, http: aiohttp.ClientSession) -> None:
        self.twilio = TwilioMessages(
            settings, http, sender=settings.twilio_whatsapp_from, prefix="whatsapp:"
        )

    @staticmethod
    def normalise_target(target: str) -> str:
        return normalise_whatsapp(target)

    @staticmethod
    def render(view: UpdateView) -> Rendered:
        return Rendered(subject=view.title, text=render_text(view))

    async def send_one(self, out: Outgoing) -> Result:
        return await self.twilio.post(
            out.delivery_id, out.target, personalise(out.text, out.unsubscribe_url)
        )
