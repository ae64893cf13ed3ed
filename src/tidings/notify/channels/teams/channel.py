"""Microsoft Teams through a Workflows webhook ("Post to a channel when a webhook request is
received"; Microsoft retired the Office 365 connectors that the old ``outlook.office.com``
URLs used).

The Workflow expects a message with one Adaptive Card attachment; it answers 202 Accepted and
posts the card on its own, so a 2xx only means the flow took the request. The card is rendered
once per language and posted unchanged to every URL. Like Slack, the card lands in a channel
many people read, so it carries no personal unsubscribe link; deleting the flow (404) disables
the subscriber. Times use the card's ``{{DATE()}}``/``{{TIME()}}`` functions, so each reader
sees them in their own time zone."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from tidings.notify.channels.base import UrlPoster
from tidings.notify.protocol import InvalidTarget, Rendered, by_tone, facts, shorten

if TYPE_CHECKING:
    from datetime import datetime

    from tidings.notify.protocol import UpdateView


CARD = "application/vnd.microsoft.card.adaptive"
#: Teams refuses messages above about 28 KB; the body gets a generous share of that.
BODY_LIMIT = 10_000
COLOURS = by_tone(bad="attention", mixed="warning", good="good")


def card_time(when: datetime) -> str:
    iso = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({iso}, SHORT)}}}} {{{{TIME({iso})}}}}"


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _facts(view: UpdateView) -> list[dict[str, Any]]:
    return [_text(f"**{label}:** {value}") for label, value in facts(view, when=card_time)]


def card(view: UpdateView) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        _text(view.site_name, size="Small", isSubtle=True),
        _text(view.title, size="Large", weight="Bolder", spacing="None"),
        _text(view.status_label, weight="Bolder", color=COLOURS.get(view.status, "default")),
    ]
    if view.body_markdown.strip():
        body.append(_text(shorten(view.body_markdown.strip(), BODY_LIMIT)))
    body += _facts(view)
    content: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl",
                     "title": view.labels.get("details", "Details and updates"),
                     "url": view.incident_url}],
        "msteams": {"width": "Full"},
    }  # fmt: skip
    if view.language == "he":
        content["rtl"] = True  # Adaptive Cards 1.5; hosts that only know 1.4 ignore it
    return {
        "type": "message",
        "attachments": [{"contentType": CARD, "contentUrl": None, "content": content}],
    }


class TeamsChannel(UrlPoster):
    kind: ClassVar[str] = "teams"

    @staticmethod
    def check_public_url(url: str) -> None:
        if urlsplit(url).scheme != "https":
            raise InvalidTarget(_("a Teams Workflows webhook URL starts with https://"))

    @staticmethod
    def render(view: UpdateView) -> Rendered:
        subject = f"{view.site_name}: {view.title} - {view.status_label}"
        return Rendered(subject=subject, text=subject, payload=card(view))

    def failure(self, status: int, text: str) -> str:
        return f"HTTP {status} from the Teams workflow: {text}"
