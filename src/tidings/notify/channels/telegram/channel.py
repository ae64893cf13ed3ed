"""Telegram through the Bot API (``sendMessage``, HTML parse mode).

A target is a chat id: a user or group id (negative for groups, ``-100…`` for supergroups and
channels) or a public channel's ``@username``. The message body is rendered once per language;
per recipient only ``chat_id`` is put in front of it. The bot's messages carry no unsubscribe
link: a user who blocks the bot, or a channel that removes it, makes Telegram answer 403, which
disables the subscriber.

Only answers that name the chat are permanent (403, and 400 "chat not found" and its kin); a
400 about the message itself (entities, length) is our fault and is retried, and 401/404 mean
the bot token is wrong, which must not disable every subscriber either."""

from __future__ import annotations

import html
import json
import re
from typing import TYPE_CHECKING, ClassVar

import aiohttp
from django.utils.translation import gettext as _

from tidings.notify.channels.base import JsonPoster
from tidings.notify.http import classify_status, post_for_json
from tidings.notify.protocol import InvalidTarget, Rendered, Result, facts, shorten

if TYPE_CHECKING:
    from tidings.config import TidingsSettings
    from tidings.notify.protocol import Outgoing, UpdateView

#: Telegram's limit is 4096 characters of visible text; the HTML length bounds it from above.
TEXT_LIMIT = 4096
#: Descriptions of 400 answers that mean the chat cannot be reached, now or later.
CHAT_GONE = (
    "chat not found", "user not found", "peer_id_invalid", "group chat was upgraded",
    "chat_write_forbidden", "not enough rights to send text", "have no rights to send",
)  # fmt: skip
_CHAT_ID = re.compile(r"^-?[1-9][0-9]{0,15}$")
_USERNAME = re.compile(r"^@([A-Za-z][A-Za-z0-9_]{4,31})$")
_LINK_FORM = re.compile(r"^(?:https?://)?(?:t|telegram)\.me/([A-Za-z][A-Za-z0-9_]{4,31})/?$")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def normalise_chat(target: str) -> str:
    """``-100123…``, ``42``, ``@name``, ``https://t.me/name`` → ``-100123…``, ``42``, ``@name``."""
    value = target.strip()
    if _CHAT_ID.match(value):
        return value
    if value.lstrip("-").isdigit():
        raise InvalidTarget(_("%(target)s is not a Telegram chat id") % {"target": repr(target)})
    link = _LINK_FORM.match(value)
    if link:
        return "@" + link[1].lower()
    if name := _USERNAME.match(value):
        return "@" + name[1].lower()
    raise InvalidTarget(
        _(
            "a Telegram chat is a numeric chat id (such as -1001234567890) or a public "
            "channel's @username (5-32 letters, digits or _); %(target)s is neither"
        )
        % {"target": repr(target)}
    )


def to_html(markdown: str) -> str:
    text = _LINK.sub(lambda m: f'<a href="{m[2]}">{m[1]}</a>', html.escape(markdown))
    return _BOLD.sub(r"<b>\1</b>", text)


def _footer(view: UpdateView) -> list[str]:
    lines = [f"<b>{label}:</b> {value}" for label, value in facts(view, escape=html.escape)]
    details = html.escape(view.labels.get("details", "Details and updates"))
    lines += ["", f'<a href="{html.escape(view.incident_url)}">{details}</a>']
    return lines


def render_text(view: UpdateView) -> str:
    head = (f"<b>{html.escape(view.site_name)}: {html.escape(view.title)}</b>\n"
            f"<i>{html.escape(view.status_label)}</i>")  # fmt: skip
    tail = "\n".join(_footer(view))
    source = view.body_text.strip()
    room = TEXT_LIMIT - len(head) - len(tail) - 4
    cut = room
    body = to_html(shorten(source, cut))
    while len(body) > room:  # escaping made it longer: cut the source, never the tags
        cut = min(cut - 1, cut * room // len(body))
        body = to_html(shorten(source, cut))
    return f"{head}\n\n{body}\n\n{tail}" if body else f"{head}\n\n{tail}"


class TelegramChannel(JsonPoster):
    kind: ClassVar[str] = "telegram"

    def __init__(self, settings: TidingsSettings, http: aiohttp.ClientSession) -> None:
        super().__init__(settings, http)
        self.token = settings.telegram_bot_token
        self.url = f"{settings.telegram_api_base.rstrip('/')}/bot{self.token}/sendMessage"

    @staticmethod
    def normalise_target(target: str) -> str:
        return normalise_chat(target)

    @staticmethod
    def render(view: UpdateView) -> Rendered:
        text = render_text(view)
        payload = {"text": text, "parse_mode": "HTML", "disable_web_page_preview": True}
        return Rendered(subject=view.title, text=text, payload=payload)

    def body_for(self, out: Outgoing) -> bytes:
        body = self._bodies(out)
        chat: int | str = int(out.target) if _CHAT_ID.match(out.target) else out.target
        return b'{"chat_id":' + json.dumps(chat).encode() + b"," + body[1:]

    def _redact(self, text: str) -> str:
        return text.replace(self.token, "<token>") if self.token else text

    async def send_one(self, out: Outgoing) -> Result:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        try:
            status, answer = await post_for_json(
                self.http, self.url, data=self.body_for(out), headers=headers
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            error = self._redact(f"request to Telegram failed: {exc!r}")
            return Result(out.delivery_id, ok=False, error=error[:500])
        ok, _permanent = classify_status(status)
        if ok and answer.get("ok") is True:
            message = answer.get("result")
            ref = str(message.get("message_id", "")) if isinstance(message, dict) else ""
            return Result(out.delivery_id, ok=True, provider_ref=ref)
        description = str(answer.get("description", ""))[:300]
        gone = status == 403 or (status == 400 and any(p in description.lower() for p in CHAT_GONE))
        return Result(out.delivery_id, ok=False, permanent=gone,
                      error=self._redact(f"Telegram {status}: {description or 'no description'}"))  # fmt: skip

    async def send(self, batch: list[Outgoing]) -> list[Result]:
        if not self.token:
            return [Result(o.delivery_id, ok=False,
                           error="no Telegram bot token (TIDINGS_TELEGRAM_BOT_TOKEN)") for o in batch]  # fmt: skip
        return await super().send(batch)
