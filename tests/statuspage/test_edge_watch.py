"""A new snapshot is served as soon as it is current: the edge is told when the snapshot
directory changes (inotify) rather than finding out at its next look, however rare."""

from __future__ import annotations

import os
import select
import time

import pytest
from django.db import transaction

from tests.conftest import published
from tests.statuspage.conftest import edge_process
from tests.statuspage.rawhttp import ask, get
from tidings.incidents import services
from tidings.statuspage import edgewatch, publisher


def _readable(fd: int, wait: float) -> bool:
    return bool(select.select([fd], [], [], wait)[0])


def test_the_watch_wakes_when_current_is_swapped_and_sleeps_once_drained(tmp_path):
    watch = edgewatch.watch(tmp_path)
    if watch is None:
        pytest.skip("no inotify on this system: the edge polls")
    try:
        assert not _readable(watch.fileno(), 0)
        (tmp_path / ".current-1").symlink_to("v0000000002")
        os.replace(tmp_path / ".current-1", tmp_path / "current")  # as a publish swaps it
        assert _readable(watch.fileno(), 1.0)
        watch.drain()
        assert not _readable(watch.fileno(), 0)
    finally:
        watch.close()


def test_no_directory_no_watch(tmp_path):
    assert edgewatch.watch(tmp_path / "missing") is None


def test_the_edge_serves_a_publish_at_once_though_it_looks_only_every_minute(
    now, site_settings, outage
):
    if edgewatch.watch(site_settings.data_dir.parent) is None:
        pytest.skip("no inotify on this system: the edge polls")
    published(site_settings)
    env = {"TIDINGS_EDGE_RELOAD_SECONDS": "60"}
    with edge_process(site_settings.data_dir, env=env) as (port, _):
        assert b"Found the bad deploy" not in ask(port, get("/")).body
        with transaction.atomic():
            services.post_update(
                actor="dana", incident=outage, status="identified", body="Found the bad deploy."
            )
        publisher.publish(settings=site_settings)
        deadline = time.monotonic() + 2.0  # far below the minute between looks
        while b"Found the bad deploy" not in ask(port, get("/")).body:
            assert time.monotonic() < deadline, "the edge did not notice the new snapshot"
            time.sleep(0.02)
