"""Statuspage-compatible webhooks (formats.md 1.6), signed with HMAC-SHA256.

The body is the Statuspage payload, rendered once per message; per recipient only the
unsubscribe link in ``meta`` differs. The signature goes in a header so the body stays what
Statuspage consumers parse: ``X-Tidings-Signature: t=<unix time>,sha256=<hex of HMAC(secret,
"<t>." + body)>``, and ``Idempotency-Key`` names the delivery so a receiver can drop a repeat."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from typing import TYPE_CHECKING, Any, ClassVar

import aiohttp

from tidings.notify.http import JsonBodies, check_url, post_json
from tidings.notify.protocol import UNSUBSCRIBE_URL, Answer, Outgoing, Rendered, Result, UpdateView

if TYPE_CHECKING:
    from tidings.config import TidingsSettings


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},sha256={mac}"


class WebhookChannel:
    kind: ClassVar[str] = "webhook"

    def __init__(self, settings: TidingsSettings, http: aiohttp.ClientSession) -> None:
        self.http = http
        self.allow_private = settings.allow_private_targets
        self._bodies = JsonBodies()

    @staticmethod
    def normalise_target(target: str) -> str:
        from tidings.config import get_settings

        return check_url(target, allow_private=get_settings().allow_private_targets)

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

    async def _post(self, out: Outgoing) -> Result:
        body = self.body_for(out)
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": out.message_key,
            "X-Tidings-Signature": signature(out.secret, int(time.time()), body),
        }
        answer = await post_json(
            self.http, out, body, allow_private=self.allow_private, headers=headers
        )
        if isinstance(answer, Result):
            return answer
        status, text = answer
        if 200 <= status < 300:
            return Result(out.delivery_id, ok=True)
        return Result(out.delivery_id, ok=False, error=f"HTTP {status} from the endpoint",
                      answer=Answer("http", status, text))  # fmt: skip

    async def open(self) -> None:
        return None

    async def send(self, batch: list[Outgoing]) -> list[Result]:
        return list(await asyncio.gather(*(self._post(o) for o in batch)))

    async def close(self) -> None:
        self._bodies.clear()
