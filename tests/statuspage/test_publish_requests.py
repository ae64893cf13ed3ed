"""Every public change reaches the page: a forced publish never makes a later change look done,
and a change that commits while a publish renders gets a publish of its own."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction

from tests.statuspage.conftest import served_by_edge
from tidings.components import services as components
from tidings.components.models import Component
from tidings.core import clock, events
from tidings.core.jobs import JOBS
from tidings.core.models import PublishRequest
from tidings.statuspage import publisher, snapshot


def statuses(base: str) -> dict[str, str]:
    with urllib.request.urlopen(f"{base}/api/v2/components.json", timeout=5) as r:
        return {c["name"]: c["status"] for c in json.load(r)["components"]}


def wait_until_served(base: str, name: str, status: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if statuses(base).get(name) == status:
            return
        time.sleep(0.05)
    pytest.fail(f"the edge never served {name} as {status}: {statuses(base)}")


def test_a_change_right_after_a_forced_republish_is_served(tmp_path, now, catalog):
    with served_by_edge(tmp_path / "data") as (base, _settings):
        JOBS["daily_republish"].run()  # the scheduler's start-up and hourly forced publish
        with transaction.atomic():
            components.set_status(
                actor="dana", component=Component.objects.get(name="Docs"), status="major_outage"
            )
        assert JOBS["publish_if_stale"].run() is not None
        wait_until_served(base, "Docs", "major_outage")
        # and once published, nothing is left to do
        assert JOBS["publish_if_stale"].run() is None


def test_a_component_created_after_a_forced_publish_is_served(tmp_path, now, db):
    with served_by_edge(tmp_path / "data") as (base, settings):
        publisher.publish(force=True, settings=settings)
        with transaction.atomic():
            components.create_component(actor="dana", name="Checkout")
        publisher.publish(settings=settings)
        wait_until_served(base, "Checkout", "operational")


def test_one_transaction_asks_for_one_publish_however_many_changes(now, catalog):
    events.forget_publish_requests(events.pending_publish_requests())  # as a publish does
    with transaction.atomic():
        for name in ("API", "Website", "Email"):
            components.set_status(
                actor="dana", component=Component.objects.get(name=name), status="partial_outage"
            )
    assert PublishRequest.objects.count() == 1


def test_a_rolled_back_change_asks_for_nothing(now, catalog):
    events.forget_publish_requests(events.pending_publish_requests())  # as a publish does
    with pytest.raises(RuntimeError), transaction.atomic():
        components.set_status(
            actor="dana", component=Component.objects.get(name="API"), status="major_outage"
        )
        raise RuntimeError("the request failed after the change")
    assert not PublishRequest.objects.exists()
    with transaction.atomic():  # the next change in the same outer transaction asks again
        components.set_status(
            actor="dana", component=Component.objects.get(name="Docs"), status="major_outage"
        )
    assert PublishRequest.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_while_a_publish_renders_gets_the_next_publish(
    site_settings, now, monkeypatch
):
    """The commit-order gap: a writer asks for a publish, the publisher reads what is pending
    and renders, and only then does the writer commit. Its change is not in that snapshot, so
    its request must survive for the next publish."""
    with transaction.atomic():
        docs = components.create_component(actor="dana", name="Docs")
    publisher.publish(settings=site_settings)
    changed, go = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def writer() -> None:
        try:
            with transaction.atomic():
                components.set_status(
                    actor="dana", component=Component.objects.get(pk=docs.pk), status="major_outage"
                )
                changed.set()
                assert go.wait(10)
        except BaseException as exc:  # reported by the test thread
            failure.append(exc)
        finally:
            connection.close()

    with transaction.atomic():  # another change, committed before the publish reads
        components.create_component(actor="dana", name="Website")
    thread = threading.Thread(target=writer)
    thread.start()
    assert changed.wait(10)
    real_write = snapshot.write

    def write_then_let_the_writer_commit(*args: Any, **kwargs: Any) -> Any:
        go.set()  # the render has read everything; the writer commits before requests are done
        thread.join(10)
        return real_write(*args, **kwargs)

    monkeypatch.setattr(snapshot, "write", write_then_let_the_writer_commit)
    first = publisher.publish(settings=site_settings)
    monkeypatch.setattr(snapshot, "write", real_write)
    assert not failure and not thread.is_alive()
    assert first is not None and status_of(site_settings, "Website") == "operational"
    assert status_of(site_settings, "Docs") == "operational"
    assert PublishRequest.objects.count() == 1  # the late commit's request is still pending

    assert publisher.publish(settings=site_settings) == first + 1
    assert status_of(site_settings, "Docs") == "major_outage"
    assert not PublishRequest.objects.exists()


def status_of(settings: Any, name: str) -> str:
    snap = snapshot.load(settings.snapshot_dir)
    assert snap is not None
    doc = json.loads(snap.entries["/api/v2/components.json"].body)
    return str(next(c["status"] for c in doc["components"] if c["name"] == name))


def test_the_worker_spaces_publishes_during_a_burst_but_not_after_a_quiet_spell(
    now, site_settings, catalog
):
    assert publisher.seconds_until_due(site_settings) == 0  # never published: at once
    publisher.publish(settings=site_settings)
    assert publisher.seconds_until_due(site_settings) == 1.0
    with clock.frozen(now + timedelta(seconds=0.4)):
        assert publisher.seconds_until_due(site_settings) == pytest.approx(0.6)
    with clock.frozen(now + timedelta(minutes=5)):
        assert publisher.seconds_until_due(site_settings) == 0
