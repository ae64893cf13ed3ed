"""Publishing proportional to the change.

Each :class:`~tidings.core.models.PublishRequest` names what changed (its ``scope``): an
incident (``incident:<id>``), the month of history a deleted incident was in (``month:YYYY-MM``),
the components' statuses (``components``) or anything else (``*``). An incremental publish
renders the pages every publish renders (the front page, the history index, the feeds, the JSON
documents, in every language) plus the changed incidents' pages and their months of history; every
other file is carried over from the previous snapshot as a hard link.

A full render is the reference (``tidings publish --full``, :func:`publisher.check`). It is used
instead whenever the carried files could be stale or missing: a ``*`` request, no previous
snapshot, other settings, templates, code or translations than the previous publish used
(:func:`render_key`), a new set of month pages (the month rolled over, or history now starts
earlier: month pages link their neighbours), or pages that disagree with the database (a change
made without its publish request, see :func:`render`).
"""

from __future__ import annotations

import hashlib
import logging
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache, reduce
from importlib import resources
from pathlib import Path
from typing import Any

from django.db.models import Count, Q

from tidings.config import TidingsSettings
from tidings.incidents.models import Incident
from tidings.statuspage import history, html, snapshot
from tidings.statuspage.collect import bars_of, collect, front_and, history_months, month_range
from tidings.statuspage.data import Site

log = logging.getLogger(__name__)

EntriesOf = Callable[[Site, dict[str, str]], list[snapshot.Entry]]
KEY_FILE = ".render-key"
_MONTH_PAGE = re.compile(r"^(/[a-z]{2})?/history/\d{4}-\d{2}$")
_INCIDENT_PAGE = re.compile(r"^(/[a-z]{2})?/incidents/[^/]+$")
_SECRET = ("secret", "password", "token", "key", "dsn", "database_url")


@dataclass(frozen=True)
class Pages:
    """What a snapshot holds besides the files every publish renders: its incident pages, its
    month pages, and the months its history index counts. This process keeps them for the
    snapshot it wrote last (:func:`remember`), so that the next publish starts from them and the
    change, not from the manifest's 10,000 lines and every incident in the database."""

    incidents: frozenset[str]
    months: frozenset[str]
    counts: tuple[tuple[str, int], ...]
    manifest: dict[str, Any] | None = None  # the very object read back after writing


@dataclass
class Job:
    entries: list[snapshot.Entry]
    pages: Pages
    staging: snapshot.Staging | None = None
    full: bool = True

    @property
    def carried(self) -> int:
        return 0 if self.staging is None else len(self.staging.result())


@dataclass(frozen=True)
class Plan:
    everything: bool
    incidents: frozenset[str]
    months: frozenset[str]


def plan(scopes: set[str]) -> Plan:
    """What a set of request scopes asks to render (unknown scopes ask for everything)."""
    incidents, months, everything = set(), set(), False
    for scope in scopes:
        kind, _, value = scope.partition(":")
        if kind == "incident" and value:
            incidents.add(value)
        elif kind == "month" and re.fullmatch(r"\d{4}-\d{2}", value):
            months.add(value)
        elif scope != "components":
            everything = True
    return Plan(everything, frozenset(incidents), frozenset(months))


def render_key(settings: TidingsSettings) -> str:
    """A digest of everything besides the data that shapes the pages: the settings (secrets
    left out), the status page's code and templates, and the translations."""
    h = hashlib.blake2b(_code_digest().encode(), digest_size=16)
    for name, value in sorted(settings.model_dump().items()):
        if not any(word in name.lower() for word in _SECRET):
            h.update(f"{name}={value!r}\n".encode())
    return h.hexdigest()


@cache
def _code_digest() -> str:
    """Of the files as this process first read them: it renders with the code, templates and
    catalogues it loaded then (Django caches both), whatever is on disk later."""
    h = hashlib.blake2b(digest_size=16)
    package = Path(str(resources.files("tidings.statuspage")))
    locale = Path(str(resources.files("tidings"))) / "locale"
    files = [*package.rglob("*.py"), *package.rglob("*.html"), *package.rglob("*.js")]
    files += list(locale.rglob("*.mo"))
    for path in sorted(files):
        h.update(str(path.relative_to(path.parents[1])).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


#: The pages of the snapshot this process wrote last (see :class:`Pages`), by snapshot directory.
_known: dict[Path, Pages] = {}


def remember(settings: TidingsSettings, job: Job) -> None:
    """Note the key of the snapshot ``job`` has just written (its carried files are that fresh)
    and the pages it holds."""
    root = settings.snapshot_dir
    (root / KEY_FILE).write_text(render_key(settings))
    _known.clear()
    # The manifest just written, as the next publish reads it: the very object (it is cached)
    _known[root] = replace(job.pages, manifest=snapshot.read_manifest(root))


def _remembered(settings: TidingsSettings) -> str:
    try:
        return (settings.snapshot_dir / KEY_FILE).read_text()
    except OSError:
        return ""


def _pages_before(root: Path, previous: dict[str, Any]) -> Pages:
    """The pages of the snapshot whose manifest is ``previous``: as this process remembers them
    if it wrote that snapshot, else read off the manifest and the database."""
    known = _known.get(root)
    if known is not None and known.manifest is previous:
        return known
    return _pages_of(previous["files"], history_months())


def _pages_of(paths: Iterable[str], counts: tuple[tuple[str, int], ...]) -> Pages:
    incidents, months = set(), set()
    for path in paths:
        if "/incidents/" in path and _INCIDENT_PAGE.match(path):
            incidents.add(path)
        elif "/history/" in path and _MONTH_PAGE.match(path):
            months.add(path)
    return Pages(frozenset(incidents), frozenset(months), counts)


def _full(settings: TidingsSettings, version: int, now: datetime, entries_of: EntriesOf) -> Job:
    site = collect(settings=settings, now=now, version=version)
    pages = html.render_pages(site)
    return Job(entries_of(site, pages), _pages_of(pages, site.history))


def _recount(counts: tuple[tuple[str, int], ...], months: set[str]) -> tuple[tuple[str, int], ...]:
    """``counts`` with the given months counted again (a change can add an incident to its
    month, or take one out)."""
    if not months:
        return counts
    fresh = history_months(only=reduce(operator.or_, (month_range(k) for k in sorted(months))))
    merged = dict((k, n) for k, n in counts if k not in months) | dict(fresh)
    return tuple(sorted(merged.items()))


def _public_counts() -> tuple[int, int]:
    """Public incidents, and those of them the history counts (all but scheduled ones)."""
    found = Incident.objects.filter(visibility="public").aggregate(
        every=Count("id"), past=Count("id", filter=~Q(status="scheduled"))
    )
    return int(found["every"]), int(found["past"])


def render(
    settings: TidingsSettings,
    version: int,
    now: datetime,
    scopes: set[str],
    *,
    entries_of: EntriesOf,
) -> Job:
    """The files to write and the staging of the files carried over for a publish asked by
    ``scopes``. The carried files are linked in a thread while this one renders.

    The previous snapshot's pages, changed by exactly the incidents and months the requests
    name, are the new snapshot's: every change to what the site shows asks for its incident's
    pages (:mod:`tidings.core.events`), and the publisher reads the requests in the same view of
    the database it renders from. Two counts from the database check that: should the pages or
    the month counts disagree with them, something changed without asking, and everything is
    rendered."""
    wanted = plan(scopes)
    previous = snapshot.read_manifest(settings.snapshot_dir)
    if wanted.everything or previous is None or _remembered(settings) != render_key(settings):
        return _full(settings, version, now, entries_of)
    before = _pages_before(settings.snapshot_dir, previous)
    months, touched, shown = set(wanted.months), set(wanted.months), set()
    for public_id, started, status, visibility in Incident.objects.filter(
        public_id__in=wanted.incidents
    ).values_list("public_id", "started_at", "status", "visibility"):
        month = started.astimezone(UTC).strftime("%Y-%m")
        touched.add(month)  # its count may change, whatever its status now
        if status != "scheduled":
            months.add(month)
        if visibility == "public":
            shown.add(public_id)
    counts = _recount(before.counts, touched)
    keys = history.month_keys(counts, now)
    prefixes = [html.prefix(lang) for lang in html.LANGS]
    month_pages = frozenset(f"{pre}/history/{key}" for pre in prefixes for key in keys)
    if month_pages != before.months:  # months link their neighbours: a new set changes them all
        return _full(settings, version, now, entries_of)
    named = {f"{pre}/incidents/{pid}" for pre in prefixes for pid in wanted.incidents}
    fresh = {f"{pre}/incidents/{pid}" for pre in prefixes for pid in shown}
    incident_pages = (before.incidents - named) | fresh
    every, past = _public_counts()
    if len(incident_pages) != every * len(prefixes) or sum(n for _, n in counts) != past:
        log.warning("the pages known differ from the database; rendering every page")
        return _full(settings, version, now, entries_of)
    rendered = fresh | {f"{pre}/history/{key}" for pre in prefixes for key in months & set(keys)}
    # Taken from the previous snapshot's own pages, so every carried path is in its manifest.
    carry = (month_pages | incident_pages) - rendered
    staging = snapshot.Staging(settings.snapshot_dir, version, carry)
    site = collect(
        settings=settings,
        now=now,
        version=version,
        only=front_and(settings=settings, now=now, incidents=set(wanted.incidents), months=months),
        bars=bars_of(settings, now),
        history=counts,
    )
    pages = html.render_pages(site, html.Selection(frozenset(months), wanted.incidents))
    if not carry.isdisjoint(pages):  # a bug; never write into a carried file
        raise RuntimeError("rendered a page planned to be carried over")
    return Job(
        entries_of(site, pages),
        Pages(incident_pages, month_pages, counts),
        staging,
        full=False,
    )
