"""Statuspage-compatible webhooks (formats.md 1.6), signed with HMAC-SHA256.

The body is the Statuspage payload, rendered once per message; per recipient only the
unsubscribe link in ``meta`` differs. The signature goes in a header so the body stays what
Statuspage consumers parse: ``X-Tidings-Signature: t=<unix time>,sha256=<hex of HMAC(secret,
"<t>." + body)>``, and ``Idempotency-Key`` names the delivery so a receiver can drop a repeat."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import TYPE_CHECKING, Any, ClassVar

from tidings.notify.channels.base import UrlPoster
from tidings.notify.protocol import UNSUBSCRIBE_URL, Outgoing, Rendered, UpdateView

if TYPE_CHECKING:
    pass


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},sha256={mac}"


class WebhookChannel(UrlPoster):
    kind: ClassVar[str] = "webhook"

    @staticmethod
    def render(view: UpdateView) -> Rendered:
        payload: dict[str, Any] = {
            "meta": {
                "unsubscribe": UNSUBSCRIBE_URL,
                "documentation": f"{view.page_url}/api/v1/docs",
                "generated_at": view.posted_at.isoformat().replace("+00:00", "Z"),
            },
            "page": {
                "id": view.statuspage_payload["page_id"],
                "status_indicator": view.page_status["indicator"],
                "status_description": view.page_status["description"],
            },
        }
        if view.kind == "component":
            payload["component"] = view.statuspage_payload
            payload["component_update"] = view.component_update
        else:
            payload["incident"] = view.statuspage_payload
        return Rendered(subject=view.title, payload=payload)

    def body_for(self, out: Outgoing) -> bytes:
        return self._bodies(out).replace(UNSUBSCRIBE_URL.encode(), out.unsubscribe_url.encode())

    def headers_for(self, out: Outgoing, body: bytes) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "Idempotency-Key": out.message_key,
            "X-Tidings-Signature": signature(out.secret, int(time.time()), body),
        }

    def failure(self, status: int, text: str) -> str:
        return f"HTTP {status} from the endpoint"
