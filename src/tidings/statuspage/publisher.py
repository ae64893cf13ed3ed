"""Render the public site (what changed, or all of it) into a new snapshot and make it current."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from importlib import resources
from typing import Any

from tidings.config import TidingsSettings, get_settings
from tidings.core import clock, db, events
from tidings.core.models import PublishState
from tidings.statuspage import (
    banner,
    extras,
    feeds,
    html,
    incremental,
    s3push,
    scripts,
    snapshot,
    v2,
)
from tidings.statuspage.collect import collect
from tidings.statuspage.data import Site

log = logging.getLogger(__name__)

HTML = "text/html; charset=utf-8"
JSON = "application/json"


def _json(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def build(
    settings: TidingsSettings, version: int, now: datetime | None = None
) -> list[snapshot.Entry]:
    """Every file of the site, rendered from scratch: the reference an incremental publish
    must equal byte for byte (``tidings publish --check``)."""
    site = collect(settings=settings, now=now or clock.now(), version=version)
    return _entries(site, html.render_pages(site))


def _entries(site: Site, pages: dict[str, str]) -> list[snapshot.Entry]:
    """The given HTML pages and every document each publish renders (JSON, feeds, ...)."""
    version = site.version
    entries = [snapshot.make_entry(p, body.encode(), HTML) for p, body in pages.items()]
    entries += [snapshot.make_entry(p, _json(doc), JSON) for p, doc in v2.documents(site).items()]
    entries += _feeds(site)
    entries += extras.entries(site)  # brand images, badges, widget
    entries += [
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
            "/banner.js", scripts.embedded("banner.js"), "text/javascript; charset=utf-8"
        ),
    ]
    return entries


def _feeds(site: Site) -> list[snapshot.Entry]:
    """Atom, RSS and the maintenance calendar in every language (``/he/history.atom`` ...)."""
    out = []
    for lang in html.LANGS:
        local, p = site.in_language(lang), html.prefix(lang)
        out += [
            snapshot.make_entry(
                f"{p}/history.atom",
                feeds.atom(local, lang).encode(),
                "application/atom+xml; charset=utf-8",
            ),
            snapshot.make_entry(
                f"{p}/history.rss",
                feeds.rss(local, lang).encode(),
                "application/rss+xml; charset=utf-8",
            ),
            snapshot.make_entry(
                f"{p}/maintenances.ics",
                feeds.ical(local, lang).encode(),
                "text/calendar; charset=utf-8",
            ),
        ]
    return out


def publish(
    *,
    force: bool = False,
    full: bool = False,
    settings: TidingsSettings | None = None,
    now: datetime | None = None,
) -> int | None:
    """Publish if a public change is waiting (or ``force``); return the version written.

    Only the pages the pending changes show on are rendered (:mod:`incremental`); ``full``
    renders every page. The moment of rendering is fixed once (``now``), so whatever depends on
    it ("generated at", today's uptime so far) is the same in every file of the snapshot.

    The pending requests are read in the view of the database rendered from, and exactly those
    are deleted after the snapshot is written: a change committed meanwhile, even one whose
    transaction began long before, keeps its request and gets its own publish. A forced
    publish therefore never makes a later change look done. Publishers on one host take turns
    (a file lock), so two workers never write the same version at once."""
    settings = settings or get_settings()
    with s3push.snapshot_lock(settings.snapshot_dir):
        pending = events.pending_publish_requests()
        on_disk = snapshot.current_version(settings.snapshot_dir)
        if not pending and not force and on_disk:
            return None
        state, _ = PublishState.objects.get_or_create(id=1)
        version = max(state.published, on_disk or 0) + 1
        moment = now or clock.now()
        started = time.perf_counter()
        with db.read_snapshot():  # consistent, and never holding writers back
            # Read again in the view rendered from: each change it shows has its request here
            # (the request commits with the change), which an incremental publish relies on.
            pending = events.pending_publish_requests()
            scopes = {"*"} if full else events.publish_scopes(pending)
            job = incremental.render(settings, version, moment, scopes, entries_of=_entries)
        snapshot.write(
            settings.snapshot_dir,
            version,
            moment,
            job.entries,
            keep=settings.snapshots_kept,
            staging=job.staging,
        )
        incremental.remember(settings, job)
        PublishState.objects.filter(id=1).update(published=version, published_at=clock.now())
        events.forget_publish_requests(pending)
        # The local snapshot is complete and current: copy it to object storage, if configured
        # (never raises; a failed upload is retried by the next publish). Inside the lock, so
        # the next publish cannot prune the directory being uploaded.
        s3push.after_publish(settings)
    log.info(
        "published snapshot v%s (%d rendered, %d carried, %d requests) in %.0f ms",
        version,
        len(job.entries),
        job.carried,
        len(pending),
        1000 * (time.perf_counter() - started),
    )
    return version


def check(settings: TidingsSettings | None = None) -> list[str]:
    """The paths where the current snapshot differs from a full render of the same version
    and moment (missing, extra or other bytes); empty when they agree byte for byte."""
    settings = settings or get_settings()
    root = settings.snapshot_dir
    current = snapshot.load(root)
    if current is None:
        return ["(no snapshot)"]
    moment = datetime.fromisoformat(current.generated_at)
    with db.read_snapshot():
        reference = {e.path: e for e in build(settings, current.version, moment)}
    have = current.entries
    differ = sorted(set(have) ^ set(reference))
    differ += sorted(
        p
        for p in set(have) & set(reference)
        if (have[p].body, have[p].content_type) != (reference[p].body, reference[p].content_type)
    )
    return differ


def seconds_until_due(settings: TidingsSettings) -> float:
    """How long the worker waits before its next publish so publishes are at least
    ``publish_interval_seconds`` apart (0 after a quiet spell)."""
    last = PublishState.objects.filter(id=1).values_list("published_at", flat=True).first()
    if last is None:
        return 0.0
    since = (clock.now() - last).total_seconds()
    return max(
        0.0, min(settings.publish_interval_seconds - since, settings.publish_interval_seconds)
    )
