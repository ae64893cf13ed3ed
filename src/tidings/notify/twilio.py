"""Twilio-compatible Messages API client and phone numbers, shared by the SMS and WhatsApp
channels (their client library, in the words of the channel import rule)."""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING

import aiohttp
from django.utils.translation import gettext as _

from tidings.notify.http import classify_status, post_for_json
from tidings.notify.protocol import InvalidTarget, Result

if TYPE_CHECKING:
    from tidings.config import TidingsSettings

#: Twilio error codes that mean the number cannot receive messages from us: invalid "To",
#: not a mobile number, and the recipient replied STOP.
GONE_CODES = frozenset({21211, 21614, 21610})

_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))  # fmt: skip
_SEPARATORS = re.compile(r"[\s()\-\u2010-\u2015\u2212]")
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


def normalise_phone(target: str) -> str:
    """E.164: ``+`` and 8-15 digits. Spaces, dashes, parentheses and the invisible direction
    marks that copying from right-to-left text adds are dropped; nothing else is guessed."""
    value = _SEPARATORS.sub("", target.translate(_INVISIBLE))
    if _E164.match(value):
        return value
    if re.fullmatch(r"0{0,2}[1-9][0-9]{6,14}", value):
        raise InvalidTarget(
            _(
                "%(target)s has no country code: write the number in international form, "
                "starting with + (for example +972 54-123-4567)"
            )
            % {"target": repr(target)}
        )
    raise InvalidTarget(
        _("%(target)s is not a phone number: use + and 8-15 digits, such as +972 54-123-4567")
        % {"target": repr(target)}
    )


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
            status, answer = await post_for_json(
                self.http, self.url, data=self.form(to, body), headers=self.headers
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return Result(delivery_id, ok=False, error=f"request to Twilio failed: {exc!r}"[:500])
        ok, _permanent = classify_status(status)
        if ok:
            return Result(delivery_id, ok=True, provider_ref=str(answer.get("sid", ""))[:200])
        code = answer.get("code")
        message = str(answer.get("message", ""))[:300]
        return Result(delivery_id, ok=False, permanent=status == 400 and code in GONE_CODES,
                      error=f"Twilio {status} error {code}: {message}")  # fmt: skip
