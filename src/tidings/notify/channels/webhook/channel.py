"""Statuspage-compatible webhooks (formats.md 1.6), signed with HMAC-SHA256.

The body is the Statuspage payload, rendered once per message; per recipient only the
unsubscribe link in ``meta`` differs. The signature goes in a header so the body stays what
Statuspage consumers parse: ``X-Tidings-Signature: t=<unix time>,sha256=<hex of HMAC(secret,
"<t>." + body)>``, and ``Idempotency-Key`` names the delivery so a receiver can drop a repeat."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING, Any, ClassVar

import aiohttp

from tidings.notify.http import check_url, classify_status, literal_private
from tidings.notify.protocol import UNSUBSCRIBE_URL, Outgoing, Rendered, Result, UpdateView

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
        self._bodies: dict[int, bytes] = {}

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
        template = self._bodies.get(out.message_id)
        if template is None:
            template = json.dumps(out.payload, ensure_ascii=False, separators=(",", ":")).encode()
            if len(self._bodies) > 256:
                self._bodies.clear()
            self._bodies[out.message_id] = template
        return template.replace(UNSUBSCRIBE_URL.encode(), out.unsubscribe_url.encode())

    async def _post(self, out: Outgoing) -> Result:
        if not self.allow_private and literal_private(out.target):
            return Result(out.delivery_id, ok=False, permanent=True,
                          error="refused: the URL is a private or local address")  # fmt: skip
        body = self.body_for(out)
        now = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": out.message_key,
            "X-Tidings-Signature": signature(out.secret, now, body),
        }
        try:
            async with self.http.post(
                out.target, data=body, headers=headers, allow_redirects=False
            ) as r:
                await r.read()
                ok, permanent = classify_status(r.status)
                return Result(out.delivery_id, ok=ok, permanent=permanent,
                              error="" if ok else f"HTTP {r.status} from the endpoint")  # fmt: skip
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return Result(out.delivery_id, ok=False, error=f"request failed: {exc!r}"[:500])

    async def open(self) -> None:
        return None

    async def send(self, batch: list[Outgoing]) -> list[Result]:
        return list(await asyncio.gather(*(self._post(o) for o in batch)))

    async def close(self) -> None:
        self._bodies.clear()
