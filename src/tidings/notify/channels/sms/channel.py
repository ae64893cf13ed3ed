"""SMS through a Twilio-compatible Messages API.

An SMS is short and paid per segment, so the message is the site name, the status label, the
title, as much of the update as fits, and the incident link, in at most three segments:
160 GSM-7 characters in one segment or 153 per segment when concatenated; 70 / 67 UCS-2 code
units as soon as one character is outside GSM-7 (any Hebrew letter). The body is cut with an
ellipsis to fit; the link never is. There is no unsubscribe link: carriers and Twilio handle
STOP, and a recipient who sent it makes Twilio answer error 21610, which disables the contact.

:class:`~tidings.notify.twilio.TwilioMessages` is the API client, shared with WhatsApp."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

import aiohttp

from tidings.notify.channels.base import PerRecipient
from tidings.notify.protocol import Outgoing, Rendered, Result, UpdateView
from tidings.notify.twilio import TwilioMessages, normalise_phone

if TYPE_CHECKING:
    from tidings.config import TidingsSettings

#: GSM 03.38: the default alphabet (one septet each; ESC itself left out) and the extension
#: table (an escape plus the character: two septets each).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("\f^{}\\[~]|€")
#: (one segment, per segment when concatenated), in septets or UTF-16 code units.
GSM_LIMITS = (160, 153)
UCS2_LIMITS = (70, 67)
MAX_SEGMENTS = 3
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\s]+\)")


def is_gsm(text: str) -> bool:
    return all(c in GSM_BASIC or c in GSM_EXTENDED for c in text)


def segments(text: str) -> int:
    """How many SMS segments ``text`` takes. An escape pair or a surrogate pair is never split
    across segments, as handsets and Twilio do."""
    if is_gsm(text):
        single, multi = GSM_LIMITS
        costs = [2 if c in GSM_EXTENDED else 1 for c in text]
    else:
        single, multi = UCS2_LIMITS
        costs = [2 if ord(c) > 0xFFFF else 1 for c in text]
    if sum(costs) <= single:
        return 1
    count, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            count, used = count + 1, 0
        used += cost
    return count


def _longest(text: str, build: Callable[[str], str], max_segments: int) -> str | None:
    """The message ``build(prefix + ellipsis)`` with the longest prefix of ``text`` that fits,
    preferring to cut at a space; None when not even one character fits."""

    def message(k: int) -> str:
        part = text[:k].rstrip()
        probe = build(part + "...")
        return probe if is_gsm(probe) else build(part + "…")  # "…" is not GSM-7

    best, lo, hi = 0, 1, len(text) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if segments(message(mid)) <= max_segments:
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    if not best:
        return None
    space = text.rfind(" ", 0, best + 1)
    if space > best - 15 and space > 0 and segments(message(space)) <= max_segments:
        best = space
    return message(best)


def fit_sms(head: str, body: str, url: str, *, max_segments: int = MAX_SEGMENTS) -> str:
    """``head``, ``body`` and ``url`` on three lines, within ``max_segments`` segments: the
    body is shortened first, then the head, each ending in an ellipsis; the URL is kept whole
    (and alone, should even that be too long)."""
    head, body = " ".join(head.split()), " ".join(body.split())
    body = body[: GSM_LIMITS[0] * max_segments + 1]  # more than this can never fit

    def compose(h: str, b: str) -> str:
        return "\n".join(p for p in (h, b, url) if p)

    whole = compose(head, body)
    if segments(whole) <= max_segments:
        return whole
    if body and (cut := _longest(body, lambda b: compose(head, b), max_segments)):
        return cut
    if segments(compose(head, "")) <= max_segments:
        return compose(head, "")
    return _longest(head, lambda h: compose(h, ""), max_segments) or url


def plain(markdown: str) -> str:
    """Markdown to the plain words an SMS can carry."""
    text = _MD_LINK.sub(r"\1", markdown)
    return re.sub(r"(\*\*|__|`|^#+ )", "", text, flags=re.MULTILINE)


class SmsChannel(PerRecipient):
    kind: ClassVar[str] = "sms"

    def __init__(self, settings: TidingsSettings, http: aiohttp.ClientSession) -> None:
        self.twilio = TwilioMessages(settings, http, sender=settings.twilio_from)

    @staticmethod
    def normalise_target(target: str) -> str:
        return normalise_phone(target)

    @staticmethod
    def render(view: UpdateView) -> Rendered:
        head = f"{view.site_name}: {view.status_label} - {view.title}"
        text = fit_sms(head, plain(view.body_text), view.incident_url)
        return Rendered(subject=view.title, text=text)

    async def send_one(self, out: Outgoing) -> Result:
        return await self.twilio.post(out.delivery_id, out.target, out.text)
