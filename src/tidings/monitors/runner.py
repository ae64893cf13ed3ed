"""The monitor runner inside ``tidings scheduler``: claims due checks from the database, runs
them concurrently on one event loop with one aiohttp session, and records the results in
batches. Several schedulers on several hosts share the monitors: each check is claimed by one.

Each check starts at its own time on its monitor's grid (:func:`rules.next_run`), so 2,000
monitors at 30 s mean about 67 checks a second, not 2,000 at once every 30 s."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tidings.config import TidingsSettings
from tidings.core import clock
from tidings.core.dbthread import DbThreadWorker
from tidings.monitors import checks
from tidings.monitors.kinds.base import Context
from tidings.monitors.kinds.net import Net
from tidings.monitors.kinds.registry import KINDS
from tidings.monitors.protocol import Outcome, Target

log = logging.getLogger(__name__)


class Runner(DbThreadWorker):
    def __init__(
        self,
        settings: TidingsSettings,
        *,
        worker_id: str = "",
        tick: float = 1.0,
        flush_every: float = 1.0,
    ) -> None:
        super().__init__(settings, worker_id=worker_id, thread_name="tidings-monitors-db")
        self.tick = tick
        self.flush_every = flush_every
        self.gate = asyncio.Semaphore(settings.monitor_concurrency)
        self.results: list[tuple[int, datetime, Outcome]] = []
        self.running: set[asyncio.Task[None]] = set()
        self.stats = {"checks": 0, "failures": 0, "claimed": 0, "db_errors": 0}

    async def run(self, stop: asyncio.Event) -> None:
        net = Net(
            networks=self.settings.monitor_allowed_networks,
            resolver=self.settings.monitor_resolver,
            ca_file=self.settings.monitor_ca_file,
        )
        session = net.session(limit=self.settings.monitor_concurrency)
        ctx = Context(net=net, http=session)
        flusher = asyncio.create_task(self._flush_loop(stop))
        try:
            while not stop.is_set():
                try:
                    due = await self.db(
                        checks.claim, self.worker_id, horizon=self.tick * 2,
                        limit=5000, lease=120 + self.tick * 2,
                    )  # fmt: skip
                except Exception as exc:  # database away: try again; claimed nothing
                    self.stats["db_errors"] += 1
                    if self.stats["db_errors"] % 60 == 1:  # once a minute, not every tick
                        log.exception("claiming monitor checks failed: %r", exc)
                    due = []
                else:
                    self.stats["db_errors"] = 0
                self.stats["claimed"] += len(due)
                for d in due:
                    task = asyncio.create_task(self._check_at(ctx, d.target, d.at))
                    self.running.add(task)
                    task.add_done_callback(self.running.discard)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.tick)
            if self.running:  # finish what was started, so nothing claimed is left half done
                await asyncio.wait(self.running, timeout=30)
        finally:
            stop.set()
            await flusher
            await self._flush()
            await session.close()
            await self.close_db()

    async def _check_at(self, ctx: Context, target: Target, at: datetime) -> None:
        delay = (at - clock.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        async with self.gate:
            outcome = await run_check(ctx, target)
        self.stats["checks"] += 1
        self.stats["failures"] += 0 if outcome.ok else 1
        self.results.append((target.id, at, outcome))

    async def _flush_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.flush_every)
            await self._flush()

    async def _flush(self) -> None:
        batch, self.results = self.results, []
        if not batch:
            return
        try:
            changed = await self.db(checks.record, batch)
            if changed:
                await self.db(checks.apply_transitions, changed)
        except Exception:  # the leases run out and the checks are claimed and run again
            log.exception("recording %d monitor results failed", len(batch))


async def run_check(ctx: Context, target: Target) -> Outcome:
    kind = KINDS.get(target.kind)
    if kind is None:
        return Outcome(False, 0, f"no probe for {target.kind!r}")
    timeout = float((target.config or {}).get("timeout") or 10) + 2
    try:
        return await asyncio.wait_for(kind.check(ctx, target), timeout)
    except TimeoutError:
        return Outcome(False, 0, "timed out")
    except Exception as exc:  # a probe's bug must not stop the runner
        log.exception("probe %s failed on monitor %s", target.kind, target.id)
        return Outcome(False, 0, f"probe error: {exc!r}"[:300])


def run_forever(settings: TidingsSettings, should_stop: Callable[[], bool]) -> None:
    """Run until ``should_stop()``: the scheduler's monitor thread."""

    async def main() -> None:
        stop = asyncio.Event()
        runner = Runner(settings)

        async def watch() -> None:
            while not should_stop():
                await asyncio.sleep(0.2)
            stop.set()

        watcher = asyncio.create_task(watch())
        await runner.run(stop)
        watcher.cancel()

    try:
        import uvloop

        factory: Any = uvloop.new_event_loop
    except ImportError:  # pragma: no cover
        factory = None
    started = time.monotonic()
    with asyncio.Runner(loop_factory=factory) as r:
        r.run(main())
    log.info("monitor runner stopped after %.0f s", time.monotonic() - started)
