"""Monitors run by the scheduler's runner: N failures in a row fire, N successes resolve,
results are stored per hour, and two runners share the work with each check claimed once."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connections, transaction
from django.db.models import Sum

from tests.monitors.servers import FlakyHttp
from tidings.components.models import Component
from tidings.config import overridden
from tidings.core import clock
from tidings.core.ids import new_id
from tidings.incidents.models import Incident
from tidings.monitors import checks, rules
from tidings.monitors.kinds.base import Context
from tidings.monitors.kinds.net import Net
from tidings.monitors.kinds.registry import validate
from tidings.monitors.models import CheckHour, Monitor
from tidings.monitors.runner import Runner, run_check

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def web() -> Iterator[FlakyHttp]:
    with FlakyHttp() as server:
        yield server


@pytest.fixture
def monitor_settings(tmp_path: Any) -> Iterator[Any]:
    with overridden(data_dir=tmp_path / "data", public_url="https://status.acme.test",
                    monitor_allowed_networks=["127.0.0.0/8"]) as s:  # fmt: skip
        yield s


def add(name: str, url: str, **kwargs: Any) -> Monitor:
    kwargs.setdefault("publish_after", 0)
    with transaction.atomic():
        return checks.create_monitor(actor="dana", kind="http", name=name, target=url, component="api",
                                     interval=30, validate=validate, **kwargs)  # fmt: skip


def tick(at: datetime) -> list[Any]:
    """One round of the runner at ``at``: claim what is due, check, record, act."""
    with clock.frozen(at):
        due = checks.claim("test", horizon=0, limit=100, lease=60)

        async def run() -> list[Any]:
            net = Net(networks=["127.0.0.0/8"])
            session = net.session(limit=10)
            try:
                ctx = Context(net=net, http=session)
                return [(d.target.id, d.at, await run_check(ctx, d.target)) for d in due]
            finally:
                await session.close()

        results = asyncio.run(run())
        checks.apply_transitions(checks.record(results))
    return results


def test_failures_in_a_row_open_an_incident_and_successes_resolve(
    now: Any, monitor_settings: Any, catalog: Any, web: FlakyHttp
) -> None:
    m = add("API health", web.url + "/health", failures=2, successes=2)
    at = m.next_run_at
    assert len(tick(at)) == 1 and Monitor.objects.get().state == "up"
    web.status = 500
    tick(at := at + timedelta(seconds=30))
    assert not Incident.objects.exists()  # one failure is not yet down
    tick(at := at + timedelta(seconds=30))
    incident = Incident.objects.get()
    assert incident.title == "API health: HTTP 500, expected 200-299"
    assert Component.objects.get(slug="api").status == "major_outage"
    web.status = 200
    tick(at := at + timedelta(seconds=30))
    assert Component.objects.get(slug="api").status == "major_outage"
    tick(at := at + timedelta(seconds=30))
    assert Component.objects.get(slug="api").status == "operational"
    assert Incident.objects.get().status == "monitoring"
    hours = CheckHour.objects.aggregate(checks=Sum("checks"), failures=Sum("failures"))
    assert hours == {"checks": 5, "failures": 2}
    m.refresh_from_db()
    assert (m.last_ok, m.last_error, m.next_run_at) == (True, "", at + timedelta(seconds=30))


def test_a_claimed_check_is_not_claimed_again_until_its_lease_ends(
    now: Any, monitor_settings: Any, catalog: Any, web: FlakyHttp
) -> None:
    m = add("API health", web.url)
    with clock.frozen(m.next_run_at):
        assert len(checks.claim("a", horizon=0, limit=10, lease=60)) == 1
        assert checks.claim("b", horizon=0, limit=10, lease=60) == []
    with clock.frozen(m.next_run_at + timedelta(seconds=61)):  # "a" died: "b" takes it over
        assert len(checks.claim("b", horizon=0, limit=10, lease=60)) == 1


def test_two_schedulers_share_the_checks_each_run_once(
    monitor_settings: Any, catalog: Any, web: FlakyHttp
) -> None:
    now = clock.now()
    for n in range(40):
        m = add(f"m{n}", f"{web.url}/{n}")
        # Due now, and next due more than a minute later: a second hit can only be a double claim.
        while rules.next_run(now, 3600, rules.phase(m.public_id, 3600)) < now + timedelta(
            seconds=60
        ):
            m.public_id = new_id()
        Monitor.objects.filter(pk=m.pk).update(
            public_id=m.public_id, interval=3600, next_run_at=now
        )
    stop = threading.Event()

    def scheduler(name: str) -> None:
        async def main() -> None:
            done = asyncio.Event()
            runner = Runner(monitor_settings, worker_id=name, tick=0.2, flush_every=0.2)
            task = asyncio.create_task(runner.run(done))
            while not stop.is_set():
                await asyncio.sleep(0.05)
            done.set()
            await task

        try:
            asyncio.run(main())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler, args=(n,)) for n in ("host-a", "host-b")]
    for t in threads:
        t.start()
    deadline = clock.now() + timedelta(seconds=20)
    while CheckHour.objects.aggregate(n=Sum("checks"))["n"] != 40 and clock.now() < deadline:
        stop.wait(0.1)
    stop.set()
    for t in threads:
        t.join(30)
    assert web.hits == 40  # every monitor checked once, by one of the two
    assert CheckHour.objects.aggregate(n=Sum("checks"))["n"] == 40
    assert set(Monitor.objects.values_list("claimed_by", flat=True)) <= {"host-a", "host-b"}


def test_a_heartbeat_ping_keeps_its_monitor_up(
    now: Any, monitor_settings: Any, catalog: Any, client: Any
) -> None:
    with transaction.atomic():
        m = checks.create_monitor(actor="dana", kind="heartbeat", name="nightly backup", component="api",
                                  interval=60, config={"grace": 30}, validate=validate, publish_after=0)  # fmt: skip
    assert client.post(f"/hooks/heartbeat/{m.secret}").status_code == 200
    assert client.get("/hooks/heartbeat/wrong").status_code == 404
    m.refresh_from_db()
    assert m.last_ping_at == now
    tick(now + timedelta(seconds=80))
    assert Monitor.objects.get().state == "up"
    Monitor.objects.update(next_run_at=now + timedelta(seconds=100))
    tick(now + timedelta(seconds=100))  # silent for 100 s > 60 + 30
    assert Monitor.objects.get().state == "down"
    assert Incident.objects.get().title.startswith("nightly backup: no ping for 100 s")


def test_the_page_shows_response_time_and_uptime_from_checks(
    now: Any, monitor_settings: Any, catalog: Any
) -> None:
    from tests.conftest import published

    m = add("API health", "https://api.acme.test/")
    hour = now.replace(minute=0)
    CheckHour.objects.create(
        monitor=m,
        hour=hour - timedelta(hours=2),
        checks=120,
        failures=0,
        latency_sum_ms=120 * 40,
        latency_max_ms=90,
    )
    CheckHour.objects.create(
        monitor=m, hour=hour, checks=80, failures=2, latency_sum_ms=78 * 45, latency_max_ms=300
    )
    html = (published(monitor_settings) / "index.html").read_text()
    api_block = html.split(f'data-component="{catalog["API"]}"')[1].split('data-component="')[0]
    assert "99.00%" in api_block  # 198 of 200 checks passed
    assert "42 ms" in api_block  # (4800 + 3510) / 198
    website = html.split(f'data-component="{catalog["Website"]}"')[1].split('data-component="')[0]
    assert "checked-uptime" not in website  # no monitor, no figure


def test_the_runner_reconnects_after_the_database_dropped_it(
    monitor_settings: Any, catalog: Any
) -> None:
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("a SQLite database is a local file: no server drops its connections")

    def drop() -> None:  # in the runner's database thread, as a server restart would
        connection.connection.close()

    async def main() -> list[Any]:
        runner = Runner(monitor_settings)
        try:
            await runner.db(checks.claim, "a", horizon=0, limit=10, lease=60)
            await runner.db(drop)
            # With connection health checks Django notices at once; without, the first use
            # fails with whatever the driver raises. Either way the next claim must work.
            with contextlib.suppress(Exception):
                await runner.db(checks.claim, "a", horizon=0, limit=10, lease=60)
            return await runner.db(checks.claim, "a", horizon=0, limit=10, lease=60)
        finally:
            await runner.db(connections.close_all)
            runner.db_thread.shutdown()

    assert asyncio.run(main()) == []
