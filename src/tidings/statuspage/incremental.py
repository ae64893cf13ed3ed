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
(:func:`render_key`), or a new set of month pages (the month rolled over, or history now starts
earlier): month pages link their neighbours.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from tidings.config import TidingsSettings
from tidings.incidents.models import Incident
from tidings.statuspage import history, html, snapshot
from tidings.statuspage.collect import bars_of, collect, front_and, history_months
from tidings.statuspage.data import Site

EntriesOf = Callable[[Site, dict[str, str]], list[snapshot.Entry]]
KEY_FILE = ".render-key"
_MONTH_PAGE = re.compile(r"^(/[a-z]{2})?/history/\d{4}-\d{2}$")
_INCIDENT_PAGE = re.compile(r"^(/[a-z]{2})?/incidents/[^/]+$")
_SECRET = ("secret", "password", "token", "key", "dsn", "database_url")


@dataclass
class Job:
    entries: list[snapshot.Entry]
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


def remember(settings: TidingsSettings) -> None:
    """Note the key of the snapshot just written (its carried files are that fresh)."""
    (settings.snapshot_dir / KEY_FILE).write_text(render_key(settings))


def _remembered(settings: TidingsSettings) -> str:
    try:
        return (settings.snapshot_dir / KEY_FILE).read_text()
    except OSError:
        return ""


def _full(settings: TidingsSettings, version: int, now: datetime, entries_of: EntriesOf) -> Job:
    site = collect(settings=settings, now=now, version=version)
    return Job(entries_of(site, html.render_pages(site)))


def render(
    settings: TidingsSettings,
    version: int,
    now: datetime,
    scopes: set[str],
    *,
    entries_of: EntriesOf,
) -> Job:
    """The files to write and the staging of the files carried over for a publish asked by
    ``scopes``. The carried files are linked in a thread while this one renders."""
    wanted = plan(scopes)
    previous = snapshot.read_manifest(settings.snapshot_dir)
    if wanted.everything or previous is None or _remembered(settings) != render_key(settings):
        return _full(settings, version, now, entries_of)
    old: dict[str, Any] = previous["files"]
    months = set(wanted.months)
    for started, status in Incident.objects.filter(public_id__in=wanted.incidents).values_list(
        "started_at", "status"
    ):
        if status != "scheduled":
            months.add(started.astimezone(UTC).strftime("%Y-%m"))
    counts = history_months()
    keys = history.month_keys(counts, now)
    # These sets run over every incident page (two per past incident): built from the
    # language prefixes once, and compared with the manifest by set operations, not per path.
    prefixes = [html.prefix(lang) for lang in html.LANGS]
    month_pages = {f"{pre}/history/{key}" for pre in prefixes for key in keys}
    if month_pages != {p for p in old if "/history/" in p and _MONTH_PAGE.match(p)}:
        return _full(settings, version, now, entries_of)
    public = set(
        Incident.objects.filter(visibility="public")
        .values_list("public_id", flat=True)
        .iterator(chunk_size=5000)
    )
    rendered = {
        f"{pre}/{what}"
        for pre in prefixes
        for what in [
            *(f"incidents/{pid}" for pid in wanted.incidents & public),
            *(f"history/{key}" for key in months & set(keys)),
        ]
    }
    incident_pages = {f"{pre}/incidents/{pid}" for pre in prefixes for pid in public}
    carried = (month_pages | incident_pages) - rendered
    if not carried <= old.keys():
        return _full(settings, version, now, entries_of)
    carry = sorted(carried)
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
    if not set(pages).isdisjoint(carry):  # a bug; never write into a carried file
        raise RuntimeError("rendered a page planned to be carried over")
    return Job(entries_of(site, pages), staging, full=False)
