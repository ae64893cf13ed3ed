"""What the channels that send one request per recipient have in common: a batch goes out all
at once, one ``send_one`` per recipient; those that POST a JSON body encode it once per message
(:class:`JsonPoster`), and those that POST it to the recipient's own URL (Slack, Teams,
webhooks) differ only in how they check the URL, the headers they add and how they read the
answer (:class:`UrlPoster`). Not a channel itself, so channels may share it and stay
independent of each other."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from tidings.notify.http import JsonBodies, check_url, post_json
from tidings.notify.protocol import Answer, Outgoing, Result

if TYPE_CHECKING:
    import aiohttp

    from tidings.config import TidingsSettings


class PerRecipient:
    """A batch is sent as one request per recipient, all in flight together."""

    async def open(self) -> None:
        return None

    async def send_one(self, out: Outgoing) -> Result:
        raise NotImplementedError

    async def send(self, batch: list[Outgoing]) -> list[Result]:
        return list(await asyncio.gather(*(self.send_one(o) for o in batch)))

    async def close(self) -> None:
        return None


class JsonPoster(PerRecipient):
    """Each message's payload is encoded as JSON once, for all its recipients."""

    def __init__(self, settings: TidingsSettings, http: aiohttp.ClientSession) -> None:
        self.http = http
        self.allow_private = settings.allow_private_targets
        self._bodies = JsonBodies()

    def body_for(self, out: Outgoing) -> bytes:
        return self._bodies(out)

    async def close(self) -> None:
        self._bodies.clear()


class UrlPoster(JsonPoster):
    """POSTs the body to the recipient's URL; a 2xx (``ok_statuses``) is delivered, any other
    answer goes to the failure policy with the status and the first words of the reply."""

    ok_statuses: range = range(200, 300)

    @classmethod
    def normalise_target(cls, target: str) -> str:
        from tidings.config import get_settings

        allow_private = get_settings().allow_private_targets
        url = check_url(target, allow_private=allow_private)
        if not allow_private:  # tests and on-premises relays may stand in for the service
            cls.check_public_url(url)
        return url

    @staticmethod
    def check_public_url(url: str) -> None:
        """Raise :class:`InvalidTarget` for a URL the service never hands out."""

    def headers_for(self, out: Outgoing, body: bytes) -> dict[str, str] | None:
        return None

    def failure(self, status: int, text: str) -> str:
        raise NotImplementedError

    def judge(self, out: Outgoing, status: int, text: str) -> Result:
        if status in self.ok_statuses:
            return Result(out.delivery_id, ok=True)
        return Result(out.delivery_id, ok=False, error=self.failure(status, text),
                      answer=Answer("http", status, text))  # fmt: skip

    async def send_one(self, out: Outgoing) -> Result:
        body = self.body_for(out)
        answer = await post_json(self.http, out, body, allow_private=self.allow_private,
                                 headers=self.headers_for(out, body))  # fmt: skip
        if isinstance(answer, Result):
            return answer
        return self.judge(out, *answer)
