"""SMS through a Twilio-compatible Messages API.

An SMS is short and paid per segment, so the message is the site name, the status label, the
title, as much of the update as fits, and the incident link, in at most three segments:
160 GSM-7 characters in one segment or 153 per segment when concatenated; 70 / 67 UCS-2 code
units as soon as one character is outside GSM-7 (any Hebrew letter). The body is cut with an
ellipsis to fit; the link never is. There is no unsubscribe link: carriers and Twilio handle
STOP, and a recipient who sent it makes Twilio answer error 21610, which disables the contact.

:class:`TwilioMessages` is the API client; the WhatsApp channel sends through it too."""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import aiohttp

from tidings.notify.http import classify_status
from tidings.notify.protocol import InvalidTarget, Outgoing, Rendered, Result, UpdateView

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
#: Twilio error codes that mean the number cannot receive messages from us: invalid "To",
#: not a mobile number, and the recipient replied STOP.
GONE_CODES = frozenset({21211, 21614, 21610})

_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))  # fmt: skip
_SEPARATORS = re.compile(r"[\s()\-\u2010-\u2015\u2212]")
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\s]+\)")


def normalise_phone(target: str) -> str:
    """E.164: ``+`` and 8-15 digits. Spaces, dashes, parentheses and the invisible direction
    marks that copying from right-to-left text adds are dropped; nothing else is guessed."""
    value = _SEPARATORS.sub("", target.translate(_INVISIBLE))
    if _E164.match(value):
        return value
    if re.fullmatch(r"0{0,2}[1-9][0-9]{6,14}", value):
        raise InvalidTarget(
            f"{target!r} has no country code: write the number in international form, "
            "starting with + (for example +972 54-123-4567)"
        )
    raise InvalidTarget(
        f"{target!r} is not a phone number: use + and 8-15 digits, such as +972 54-123-4567"
    )


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


class TwilioMessages:
    """POST ``{base}/2010-04-01/Accounts/{sid}/Messages.json`` (form encoded, basic auth).

    Only the error codes in :data:`GONE_CODES` are permanent. Twilio's other 4xx answers mean
    our account, sender or message is wrong (a 401 for bad credentials, 21606 for a bad
    "From"), and disabling every recipient for that would be worse than retrying."""

    def __init__(self, settings: TidingsSettings, http: aiohttp.ClientSession, *, sender: str,
                 prefix: str = "") -> None:  # fmt: skip
        self.http = http
        self.sid, self.token = settings.twilio_account_sid, settings.twilio_auth_token
        self.sender, self.prefix = sender, prefix
        base = settings.twilio_api_base.rstrip("/")
        self.url = f"{base}/2010-04-01/Accounts/{self.sid}/Messages.json"
        basic = base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        self.headers = {"Authorization": f"Basic {basic}"}

    def missing(self) -> str:
        if not (self.sid and self.token and self.sender):
            return "Twilio is not configured (TIDINGS_TWILIO_ACCOUNT_SID, _AUTH_TOKEN and sender)"
        return ""

    def form(self, to: str, body: str) -> dict[str, str]:
        # A messaging service (MG…) picks the sender itself: needed for US A2P 10DLC traffic.
        key = "MessagingServiceSid" if self.sender.startswith("MG") else "From"
        sender = self.sender
        if key == "From" and not sender.startswith(self.prefix):
            sender = f"{self.prefix}{sender}"
        return {"To": f"{self.prefix}{to}", key: sender, "Body": body}

    async def post(self, delivery_id: int, to: str, body: str) -> Result:
        if problem := self.missing():
            return Result(delivery_id, ok=False, error=problem)
        try:
            async with self.http.post(
                self.url, data=self.form(to, body), headers=self.headers, allow_redirects=False
            ) as r:
                status = r.status
                try:
                    answer: Any = await r.json(content_type=None)
                except ValueError:
                    answer = {}
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return Result(delivery_id, ok=False, error=f"request to Twilio failed: {exc!r}"[:500])
        answer = answer if isinstance(answer, dict) else {}
        ok, _permanent = classify_status(status)
        if ok:
            return Result(delivery_id, ok=True, provider_ref=str(answer.get("sid", ""))[:200])
        code = answer.get("code")
        message = str(answer.get("message", ""))[:300]
        return Result(delivery_id, ok=False, permanent=status == 400 and code in GONE_CODES,
                      error=f"Twilio {status} error {code}: {message}")  # fmt: skip


class SmsChannel:
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

    async def open(self) -> None:
        return None

    async def send(self, batch: list[Outgoing]) -> list[Result]:
        return list(
            await asyncio.gather(
                *(self.twilio.post(o.delivery_id, o.target, o.text) for o in batch)
            )
        )

    async def close(self) -> None:
        return None
