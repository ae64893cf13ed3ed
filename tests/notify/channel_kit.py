"""Helpers for channel tests: an update as channels see it, outgoing batches, one send through a
real channel and session, and an HTTP sink that can answer like a vendor API does."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from django.utils import translation

from tests.conftest import NOW
from tidings.notify import http
from tidings.notify.protocol import Outgoing, Result, UpdateView
from tidings.notify.registry import CHANNELS
from tidings.notify.views import _labels

TITLES = {"en": "Elevated API errors", "he": "שגיאות רבות ב-API"}
BODIES = {
    "en": "Some API calls fail. We are **investigating** & will [report back](https://acme.test/x).",
    "he": "חלק מהקריאות ל-API נכשלות. אנחנו בודקים.",
}


def update_view(language: str = "en", **changes: Any) -> UpdateView:
    with translation.override(language):
        labels = _labels()
    suffix = "" if language == "en" else f"/{language}"
    body = changes.pop("body", BODIES[language])
    title = changes.get("title", TITLES[language])
    values: dict[str, Any] = {
        "language": language, "site_name": "Acme", "page_url": "https://status.acme.test",
        "incident_id": "inc0001", "incident_url": f"https://status.acme.test{suffix}/incidents/inc0001",
        "title": title, "kind": "incident", "status": "identified",
        "status_label": labels["identified"], "impact": "major", "body_markdown": body,
        "body_html": f"<p>{body}</p>", "body_text": body, "components": ["API", "Website"],
        "next_update_due_at": NOW + timedelta(minutes=30), "scheduled_for": None,
        "scheduled_until": None, "posted_at": NOW, "is_first": False,
        "statuspage_payload": {"id": "inc0001", "name": title, "status": "identified",
                               "page_id": "acme", "incident_updates": []},
        "page_status": {"indicator": "major", "description": "Partial System Outage"},
        "labels": labels,
    }  # fmt: skip
    values.update(changes)
    return UpdateView(**values)


def outgoing(
    kind: str, targets: list[str], view: UpdateView | None = None, *, unsubscribe: bool = True
) -> list[Outgoing]:
    """One message to each target, rendered once and stored as the database stores it."""
    view = view or update_view()
    rendered = CHANNELS[kind].render(view)
    payload = json.loads(json.dumps(rendered.payload)) if rendered.payload is not None else None
    base = "https://status.acme.test/unsubscribe/token"
    return [
        Outgoing(
            delivery_id=i + 1,
            message_id=7,
            target=t,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            payload=payload,
            language=view.language,
            unsubscribe_url=f"{base}{i + 1}" if unsubscribe else "",
            secret="s3cret",
            message_key=f"tidings-{i + 1}",
        )
        for i, t in enumerate(targets)
    ]


def send(
    kind: str, settings: Any, batch: list[Outgoing], *, allow_private: bool = True
) -> list[Result]:
    """Send ``batch`` through a fresh channel and guarded session, as a worker would."""

    async def go() -> list[Result]:
        async with http.session(allow_private=allow_private, timeout=15) as session:
            channel = CHANNELS[kind](settings, session)
            await channel.open()
            try:
                return await channel.send(batch)
            finally:
                await channel.close()

    return asyncio.run(go())


#: The API paths of the Telegram and Twilio stand-ins on the HTTP sink.
TELEGRAM = "/bot123:abc/sendMessage"
TWILIO = "/2010-04-01/Accounts/AC123/Messages.json"
