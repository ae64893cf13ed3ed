"""The delivery worker: claims batches of deliveries, sends them concurrently through the
channels, records the results. Database work runs on one dedicated thread (one connection);
sending runs on the event loop. Two lanes overlap so one batch's database work hides behind
another's sending. On SIGTERM each lane finishes and records its batch before exiting, so a
stopped worker sends nothing twice; a killed one leaves its batch to be claimed again when the
lease runs out, and receivers see the same ``Idempotency-Key`` / Message-ID if it had gone out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict

import aiohttp

from tidings.config import TidingsSettings
from tidings.core.dbthread import DbThreadWorker, close_connections
from tidings.notify import http, ledger
from tidings.notify.protocol import Channel, Outgoing, Result
from tidings.notify.registry import CHANNELS

log = logging.getLogger(__name__)
#: Deliveries sent between two writes of their results.
RECORD_EVERY = 50


class RateLimiter:
    """At most ``rate`` sends per second from this worker (a token bucket of one second)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.at = time.monotonic()

    async def take(self, n: int) -> None:
        while True:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= n or (n > self.rate and self.tokens >= self.rate):
                self.tokens -= n
                return
            await asyncio.sleep(max(0.01, (min(n, self.rate) - self.tokens) / self.rate))


class DeliveryWorker(DbThreadWorker):
    def __init__(
        self, settings: TidingsSettings, *, worker_id: str = "", lanes: int = 2, idle: float = 0.5
    ) -> None:
        super().__init__(settings, worker_id=worker_id, thread_name="tidings-db")
        self.lanes = lanes
        self.idle = idle
        self.channels: dict[str, Channel] = {}
        self.opened: set[str] = set()
        self.limits = {k: RateLimiter(v) for k, v in settings.channel_rates.items() if v > 0}
        self.session: aiohttp.ClientSession | None = None
        self.stats: dict[str, int] = defaultdict(int)

    def channel(self, kind: str) -> Channel | None:
        if kind not in self.channels:
            cls = CHANNELS.get(kind)
            if cls is None:
                return None
            if self.session is None:
                self.session = http.session(
                    allow_private=self.settings.allow_private_targets,
                    limit=self.settings.http_connections,
                )
            self.channels[kind] = cls(self.settings, self.session)
        return self.channels[kind]

    async def _send_channel(self, kind: str, batch: list[Outgoing]) -> list[Result]:
        try:
            sender = self.channel(kind)
        except Exception as exc:  # a channel that cannot start (say, a bad DKIM key): say why
            log.exception("the %s channel cannot start", kind)
            return [Result(o.delivery_id, ok=False, error=f"the {kind} channel cannot start: {exc}"[:500])
                    for o in batch]  # fmt: skip
        if sender is None:
            return [
                Result(o.delivery_id, ok=False, error=f"no sender for channel {kind!r}")
                for o in batch
            ]
        limiter = self.limits.get(kind)
        try:
            if limiter is None:
                return await sender.send(batch)
            results: list[Result] = []
            step = max(1, int(limiter.rate))
            for i in range(0, len(batch), step):
                chunk = batch[i : i + step]
                await limiter.take(len(chunk))
                results += await sender.send(chunk)
            return results
        except Exception as exc:  # a broken channel must not lose the batch: retry it later
            log.exception("channel %s failed", kind)
            return [
                Result(o.delivery_id, ok=False, error=f"{kind} sender error: {exc!r}"[:500])
                for o in batch
            ]

    async def process(self, ids: list[int]) -> dict[str, int]:
        """Send a claimed batch. Results are recorded chunk by chunk as they complete, so a
        worker killed outright leaves only its last few in-flight sends unrecorded."""
        claimed = await self.db(ledger.load, ids)
        by_channel: dict[str, list[Outgoing]] = defaultdict(list)
        for out in claimed.outgoing:
            by_channel[claimed.channels[out.delivery_id]].append(out)
        chunks = [
            (kind, outs[i : i + RECORD_EVERY])
            for kind, outs in by_channel.items()
            for i in range(0, len(outs), RECORD_EVERY)
        ]
        counts: dict[str, int] = defaultdict(int)
        # Two chunks in flight per channel keep its connections busy while bounding what is
        # sent but not yet recorded.
        gates = {kind: asyncio.Semaphore(2) for kind in by_channel}

        async def run(kind: str, chunk: list[Outgoing]) -> None:
            async with gates[kind]:
                results = await self._send_channel(kind, chunk)
            for key, value in (await self.db(ledger.record, results, self.worker_id)).items():
                counts[key] += value
                self.stats[key] += value

        heartbeat = asyncio.create_task(self._renew(ids))
        try:
            await asyncio.gather(*(run(kind, chunk) for kind, chunk in chunks))
        finally:
            heartbeat.cancel()
        return dict(counts)

    async def _renew(self, ids: list[int]) -> None:
        every = self.settings.delivery_lease_seconds / 3
        while True:
            await asyncio.sleep(every)
            try:
                await self.db(ledger.renew, ids, self.worker_id)
            except Exception:  # the lease then runs out and the batch is claimed again: safe
                log.exception("renewing a lease failed")

    async def _lane(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                ids = await self.db(ledger.claim, self.worker_id, self.settings.delivery_batch)
            except Exception:  # database away: wait and try again, nothing was claimed
                log.exception("claiming deliveries failed")
                await self._pause(stop, 2.0)
                continue
            if not ids:
                await self._pause(stop, self.idle)
                continue
            try:
                await self.process(ids)
            except Exception:  # the lease returns the batch to the queue
                log.exception("delivering a batch failed; it will be claimed again")
                await self._pause(stop, 1.0)

    async def _pause(self, stop: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await asyncio.gather(*(self._lane(stop) for _ in range(self.lanes)))
        finally:
            for ch in self.channels.values():
                with contextlib.suppress(Exception):
                    await ch.close()
            if self.session is not None:
                await self.session.close()
            await self.close_db()

    async def drain(self) -> dict[str, int]:
        """Send everything due now, then return (tests, scripts)."""
        try:
            while ids := await self.db(ledger.claim, self.worker_id, self.settings.delivery_batch):
                await self.process(ids)
        finally:
            for ch in self.channels.values():
                await ch.close()
            self.channels.clear()
            self.opened.clear()
            if self.session is not None:
                await self.session.close()
                self.session = None
            await self.db(close_connections)
        return dict(self.stats)
