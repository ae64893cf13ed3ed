"""Slack through incoming webhooks (``https://hooks.slack.com/services/...``).

The message is rendered once per language as Block Kit JSON (mrkdwn) and posted unchanged to
every webhook, so a recipient costs one request and nothing else. A Slack webhook posts into a
channel many people read, so the message carries no personal unsubscribe link: removing the
webhook (Slack then answers 404 ``no_service`` or 410 ``channel_is_archived``) disables the
subscriber. Times are Slack date tokens, shown in each reader's own time zone."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from tidings.notify.channels.base import UrlPoster
from tidings.notify.protocol import InvalidTarget, Rendered, Result, facts, shorten, utc_text

if TYPE_CHECKING:
    from datetime import datetime

    from tidings.notify.protocol import Outgoing, UpdateView


HOST = "hooks.slack.com"
#: Slack cuts a section's text at 3000 characters; leave room for the ellipsis.
SECTION_LIMIT = 2900
#: 400 answers that mean our payload was wrong, not the webhook: retry, never disable.
PAYLOAD_ERRORS = ("invalid_payload", "no_text", "invalid_blocks", "too_many_attachments")
STATUS_EMOJI = {
    "investigating": ":red_circle:", "identified": ":large_orange_circle:",
    "monitoring": ":large_blue_circle:", "resolved": ":white_check_mark:",
    "scheduled": ":calendar:", "in_progress": ":wrench:", "verifying": ":mag:",
    "completed": ":white_check_mark:", "cancelled": ":heavy_multiplication_x:",
    # component status changes outside an incident
    "operational": ":white_check_mark:", "degraded_performance": ":large_yellow_circle:",
    "partial_outage": ":large_orange_circle:", "major_outage": ":red_circle:",
    "under_maintenance": ":wrench:",
}  # fmt: skip
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def escape(text: str) -> str:
    """Slack treats ``&``, ``<`` and ``>`` as control characters everywhere."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(markdown: str) -> str:
    """The little Markdown an update body uses, in Slack's dialect: links and bold."""
    text = _LINK.sub(lambda m: f"<{m[2]}|{m[1]}>", escape(markdown))
    return _BOLD.sub(r"*\1*", text)


def _fitted_body(markdown: str) -> str:
    """The body in mrkdwn within one section; cut the source, so no link or entity breaks."""
    cut = SECTION_LIMIT
    text = mrkdwn(shorten(markdown, cut))
    while len(text) > SECTION_LIMIT:  # escaping made it longer: cut the source shorter
        cut = min(cut - 1, cut * SECTION_LIMIT // len(text))
        text = mrkdwn(shorten(markdown, cut))
    return text


def slack_date(when: datetime) -> str:
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{utc_text(when)}>"


def _fields(view: UpdateView) -> list[dict[str, str]]:
    return [
        {"type": "mrkdwn", "text": f"*{label}*\n{value}"}
        for label, value in facts(view, when=slack_date, escape=escape)
    ]


class SlackChannel(UrlPoster):
    kind: ClassVar[str] = "slack"
    ok_statuses = range(200, 201)

    @staticmethod
    def check_public_url(url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "https" or (parts.hostname or "").lower() != HOST:
            raise InvalidTarget(
                _("a Slack incoming webhook URL starts with %(prefix)s")
                % {"prefix": f"https://{HOST}/"}
            )
        if not parts.path.startswith("/services/"):
            raise InvalidTarget(
                _("a Slack incoming webhook URL looks like %(example)s")
                % {"example": f"https://{HOST}/services/T…/B…/…"}
            )

    @staticmethod
    def render(view: UpdateView) -> Rendered:
        labels = view.labels
        url, title = view.incident_url, escape(view.title)
        status = f"{STATUS_EMOJI.get(view.status, '')} *{escape(view.status_label)}*".strip()
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*<{url}|{title}>*\n{status}"}}
        ]
        if view.body_text.strip():
            body = _fitted_body(view.body_text.strip())
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body}})
        if fields := _fields(view):
            blocks.append({"type": "section", "fields": fields})
        details = escape(labels.get("details", "Details and updates"))
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"{escape(view.site_name)} · <{url}|{details}>"}
        ]})  # fmt: skip
        text = f"{escape(view.site_name)}: {title} - {escape(view.status_label)}"
        return Rendered(subject=view.title, text=text, payload={"text": text, "blocks": blocks})

    def failure(self, status: int, text: str) -> str:
        return f"HTTP {status} from Slack: {text}"

    def judge(self, out: Outgoing, status: int, text: str) -> Result:
        if status == 400 and text.strip() in PAYLOAD_ERRORS:  # ours: retry, never disable
            return Result(out.delivery_id, ok=False, error=self.failure(status, text))
        return super().judge(out, status, text)
