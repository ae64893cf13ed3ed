"""Render the whole public site into a new snapshot and make it current."""

from __future__ import annotations

import fcntl
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F

from tidings.config import TidingsSettings, get_settings
from tidings.core import clock
from tidings.core.models import PublishState
from tidings.statuspage import banner, feeds, html, snapshot, v2
from tidings.statuspage.collect import collect

log = logging.getLogger(__name__)

HTML = "text/html; charset=utf-8"
JSON = "application/json"


def _json(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def build(settings: TidingsSettings, version: int) -> list[snapshot.Entry]:
    site = collect(settings=settings, now=clock.now(), version=version)
    entries = [
        snapshot.make_entry(p, body.encode(), HTML) for p, body in html.render_pages(site).items()
    ]
    entries += [snapshot.make_entry(p, _json(doc), JSON) for p, doc in v2.documents(site).items()]
    entries += [
        snapshot.make_entry(
            "/history.atom", feeds.atom(site).encode(), "application/atom+xml; charset=utf-8"
        ),
        snapshot.make_entry(
            "/history.rss", feeds.rss(site).encode(), "application/rss+xml; charset=utf-8"
        ),
        snapshot.make_entry(
            "/maintenances.ics", feeds.ical(site).encode(), "text/calendar; charset=utf-8"
        ),
        snapshot.make_entry(
            "/live.json",
            _json(
                {
                    "version": version,
                    "generated_at": v2.ts(site.generated_at),
                    "indicator": v2.indicator_of(site),
                }
            ),
            JSON,
        ),
        snapshot.make_entry(
            "/status.js",
            resources.files("tidings.statuspage").joinpath("static/status.js").read_bytes(),
            "text/javascript; charset=utf-8",
        ),
        # The in-product banner: a script customers embed, and the document it polls.
        snapshot.make_entry("/banner.json", _json(banner.document(site)), JSON),
        snapshot.make_entry(
            "/banner.js",
            resources.files("tidings.statuspage").joinpath("static/banner.js").read_bytes(),
            "text/javascript; charset=utf-8",
        ),
    ]
    return entries


def publish(*, force: bool = False, settings: TidingsSettings | None = None) -> int | None:
    """Publish if the snapshot is behind the requested version; return the version published.

    The version read before rendering is the one recorded after: a change committed while we
    render bumps ``requested`` again and gets its own publish. Publishers on one host take turns
    (a file lock), so two workers never write the same version at once."""
    settings = settings or get_settings()
    with _exclusive(settings.snapshot_dir):
        state, _ = PublishState.objects.get_or_create(id=1)
        on_disk = snapshot.current_version(settings.snapshot_dir)
        if state.published >= state.requested and not force and on_disk:
            return None
        version = max(state.requested, state.published + (1 if force else 0), (on_disk or 0) + 1)
        started = time.perf_counter()
        with transaction.atomic():
            entries = build(settings, version)
        snapshot.write(
            settings.snapshot_dir, version, clock.now(), entries, keep=settings.snapshots_kept
        )
        PublishState.objects.filter(id=1, published__lt=version).update(
            published=version, published_at=clock.now()
        )
        # A forced publish runs ahead of the requests: move them on by as much, or the next
        # change (which bumps ``requested`` by one) would be taken for published already. A
        # change committed while we rendered stays one ahead, and gets its own publish.
        if version > state.requested:
            PublishState.objects.filter(id=1).update(
                requested=F("requested") + (version - state.requested)
            )
    log.info(
        "published snapshot v%s (%d files) in %.0f ms",
        version,
        len(entries),
        1000 * (time.perf_counter() - started),
    )
    return version


@contextmanager
def _exclusive(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".publish.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
