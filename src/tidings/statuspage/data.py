"""Plain, immutable data the publisher renders from. Built from the database in one place
(:mod:`collect`); everything that renders works on these, never on the ORM."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import NamedTuple

from tidings.statuspage.brandrules import Brand


@dataclass(frozen=True)
class PageInfo:
    id: str
    name: str
    url: str
    time_zone: str
    updated_at: datetime


@dataclass(frozen=True)
class ComponentData:
    id: str
    name: str  # in the language being rendered (see Site.in_language)
    description: str
    status: str
    position: int
    group_id: str | None
    showcase: bool
    only_show_if_degraded: bool
    start_date: date | None
    created_at: datetime
    updated_at: datetime
    names: dict[str, str] = field(default_factory=dict)
    #: From the component's monitors: uptime over 30 days of checks, mean response time (24 h).
    checked_uptime: float | None = None
    response_ms: int | None = None


@dataclass(frozen=True)
class GroupData:
    id: str
    name: str
    description: str
    position: int
    status: str
    component_ids: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateData:
    id: str
    status: str
    bodies: dict[str, str]
    created_at: datetime
    display_at: datetime
    affected_components: list[dict[str, str]] | None
    next_update_due_at: datetime | None


@dataclass(frozen=True)
class FaqData:
    question: dict[str, str]
    answer: dict[str, str]


@dataclass(frozen=True)
class ResourceData:
    kind: str
    title: dict[str, str]
    body: dict[str, str]
    url: str


@dataclass(frozen=True)
class IncidentData:
    id: str
    kind: str
    title: str
    status: str
    impact: str
    created_at: datetime
    updated_at: datetime
    started_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    scheduled_for: datetime | None
    scheduled_until: datetime | None
    next_update_due_at: datetime | None
    component_ids: tuple[str, ...]
    updates: tuple[UpdateData, ...]  # newest first
    faq: tuple[FaqData, ...] = ()
    resources: tuple[ResourceData, ...] = ()
    titles: dict[str, str] = field(default_factory=dict)

    @property
    def is_active(self) -> bool:
        return self.status in (
            "investigating",
            "identified",
            "monitoring",
            "in_progress",
            "verifying",
        )

    @property
    def is_upcoming(self) -> bool:
        return self.status == "scheduled"


class Change(NamedTuple):
    """A component's status change, as the uptime bars replay them: the status before and after."""

    at: datetime
    old: str
    new: str


@dataclass(frozen=True)
class Site:
    page: PageInfo
    generated_at: datetime
    version: int
    components: tuple[ComponentData, ...]
    groups: tuple[GroupData, ...]
    incidents: tuple[IncidentData, ...]  # newest first; incidents and maintenances
    changes: dict[str, tuple[Change, ...]] = field(default_factory=dict)
    #: (``YYYY-MM``, incidents started that month), oldest first, over all of history.
    history: tuple[tuple[str, int], ...] = ()
    uptime_days: int = 90
    partial_weight: float = 0.3
    live_refresh_seconds: float = 10.0
    brand: Brand | None = None  # logo, colours, CSS, links (statuspage.branding)
    #: This site in each language asked for (:meth:`in_language`): the pages, the feeds and the
    #: widget each ask, and with years of history that is hundreds of incidents copied each time.
    local: dict[str, Site] = field(default_factory=dict, compare=False, repr=False)

    def component(self, cid: str) -> ComponentData | None:
        return next((c for c in self.components if c.id == cid), None)

    def in_language(self, lang: str) -> Site:
        """This site with every title and name in ``lang`` where one was written, else in the
        default language: each renderer then works on one language without knowing it."""
        done = self.local.get(lang)
        if done is not None:
            return done

        def pick(texts: dict[str, str], default: str) -> str:
            return texts.get(lang) or default

        done = replace(
            self,
            components=tuple(replace(c, name=pick(c.names, c.name)) for c in self.components),
            groups=tuple(replace(g, name=pick(g.names, g.name)) for g in self.groups),
            incidents=tuple(
                i if (title := pick(i.titles, i.title)) == i.title else replace(i, title=title)
                for i in self.incidents
            ),
            local={},
        )
        self.local[lang] = done
        return done
