"""The public HTML pages, rendered once per snapshot and language with Django templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC
from functools import lru_cache, partial
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from tidings.core.text import pick, render_markdown
from tidings.statuspage import history, uptime, v2
from tidings.statuspage.data import ComponentData, IncidentData, Site, UpdateData
from tidings.statuspage.words import impact_labels, status_labels

LANGS = ("en", "he")
RTL = {"he"}
RECENT_DAYS = 7


def prefix(lang: str) -> str:
    return "" if lang == "en" else f"/{lang}"


@dataclass
class ComponentView:
    c: ComponentData
    days: list[uptime.Day]
    overall: float | None
    status_label: str = ""

    @property
    def overall_pct(self) -> str:
        return "" if self.overall is None else uptime.percent(self.overall)

    @property
    def checked_pct(self) -> str:
        return "" if self.c.checked_uptime is None else uptime.percent(self.c.checked_uptime)

    @property
    def bar_items(self) -> SafeString:
        """The uptime bar's days as ``<li>`` items, built here rather than by a template loop:
        90 days times every component is most of the front page's render time, and grows with
        the incidents named in each day's title."""
        no_data = gettext("no data")
        return mark_safe(  # noqa: S308 - every interpolated text is escaped here
            "".join(
                f'<li class="{d.level}" title="{d.day.isoformat()}: '
                f"{no_data if d.uptime is None else d.pct + '%'}"
                f"{' · ' + escape('; '.join(d.incident_titles)) if d.incident_titles else ''}"
                '"></li>'
                for d in self.days
            )
        )


@dataclass
class GroupView:
    name: str
    description: str
    status: str
    components: list[ComponentView] = field(default_factory=list)


#: An update's text as HTML, by its Markdown source. A worker publishes many times: the texts
#: of the incidents on the front page and in the month pages are the same each time.
_markdown = lru_cache(maxsize=8192)(render_markdown)


#: Incident cards as HTML, by everything a card shows (see :func:`_card_html`).
_cards: dict[tuple[Any, ...], str] = {}
_CARDS_KEPT = 20_000


def _card_html(x: dict[str, Any], lang: str, show_latest: bool) -> str:
    """An incident's card (``_incident.html``) as HTML. The cards of the front page and of the
    month pages are mostly the same from one publish to the next, and a month holds about 80
    of them with years of history: each is rendered once and kept, keyed by all it shows."""
    i, latest = x["i"], x["updates"][0] if x["updates"] else None
    key = (
        lang, show_latest, i.id, i.kind, i.title, i.status, i.impact, i.scheduled_for,
        i.scheduled_until, i.next_update_due_at, x["url"], x["status_label"], x["impact_label"],
        tuple(x["components"]),
        (latest["html"], latest["u"].display_at) if latest and show_latest else None,
    )  # fmt: skip
    html = _cards.get(key)
    if html is None:
        html = render_to_string("statuspage/_incident.html", {"x": x, "show_latest": show_latest})
        if len(_cards) >= _CARDS_KEPT:
            _cards.clear()
        _cards[key] = html
    return html


def _incident_view(
    i: IncidentData, lang: str, site: Site, *, card: bool | None = None
) -> dict[str, Any]:
    """What the templates show of an incident: its page, or (``card`` True or False: with its
    latest update or without) its card in a list, as HTML (``html``). A card shows only the
    latest update: with years of history a month holds about 80 cards, and rendering every
    update of each, and FAQ and resources, was wasted."""
    labels = status_labels()
    if card is not None:
        x = {
            "i": i,
            "url": f"{prefix(lang)}/incidents/{i.id}",
            "status_label": labels.get(i.status, i.status),
            "impact_label": impact_labels().get(i.impact, i.impact),
            "updates": [_update_view(u, lang, labels) for u in i.updates[:1]] if card else [],
            "components": [c.name for cid in i.component_ids if (c := site.component(cid))],
        }
        return {**x, "html": mark_safe(_card_html(x, lang, card))}  # noqa: S308 - a template's output
    return {
        "i": i,
        "url": f"{prefix(lang)}/incidents/{i.id}",
        "status_label": labels.get(i.status, i.status),
        "impact_label": impact_labels().get(i.impact, i.impact),
        "updates": [_update_view(u, lang, labels) for u in i.updates],
        "components": [c.name for cid in i.component_ids if (c := site.component(cid))],
        "faq": [{"q": pick(f.question, lang), "a": _markdown(pick(f.answer, lang))} for f in i.faq],
        "workarounds": [_resource(r, lang) for r in i.resources if r.kind == "workaround"],
        "links": [_resource(r, lang) for r in i.resources if r.kind == "link"],
    }


def _update_view(u: UpdateData, lang: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "u": u,
        "status_label": labels.get(u.status, u.status),
        "html": _markdown(pick(u.bodies, lang)),
        "translated": lang in u.bodies,
    }


def _resource(r: Any, lang: str) -> dict[str, str]:
    return {
        "title": pick(r.title, lang),
        "html": _markdown(pick(r.body, lang)) if r.body else "",
        "url": r.url,
    }


def uptime_days(site: Site) -> dict[str, list[uptime.Day]]:
    """Each component's days in the uptime bars, by component id: the same in every language,
    so worked out once per publish (with years of history the window holds hundreds of status
    changes per component)."""
    return {
        c.id: uptime.daily(
            changes=site.changes.get(c.id, ()),
            current=c.status,
            days=site.uptime_days,
            now=site.generated_at,
            partial_weight=site.partial_weight,
            since=c.start_date,
        )
        for c in site.components
    }


def _component_views(
    site: Site, bars: dict[str, list[uptime.Day]]
) -> tuple[list[GroupView], list[ComponentView]]:
    labels = status_labels()
    views: dict[str, ComponentView] = {}
    for c in site.components:
        # fresh days: each language's incident titles are added to them
        days = [uptime.Day(d.day, d.level, d.uptime, d.down_seconds) for d in bars[c.id]]
        views[c.id] = ComponentView(
            c=c, days=days, overall=uptime.overall(days), status_label=labels[c.status]
        )
    _attach_incident_titles(site, views)
    visible = {
        cid: v
        for cid, v in views.items()
        if not v.c.only_show_if_degraded or v.c.status != "operational"
    }
    groups = [
        GroupView(
            name=g.name,
            description=g.description,
            status=g.status,
            components=[visible[cid] for cid in g.component_ids if cid in visible],
        )
        for g in site.groups
    ]
    loose = [v for v in visible.values() if v.c.group_id is None]
    return [g for g in groups if g.components], loose


def _attach_incident_titles(site: Site, views: dict[str, ComponentView]) -> None:
    for i in site.incidents:
        if i.kind != "incident":
            continue
        start = i.started_at.astimezone(UTC).date()
        end = (i.resolved_at or site.generated_at).astimezone(UTC).date()
        for cid in i.component_ids:
            view = views.get(cid)
            if view is None or not view.days:
                continue
            first = view.days[0].day  # the days are consecutive: index them, do not scan
            for d in view.days[max(0, (start - first).days) : max(0, (end - first).days + 1)]:
                if i.title not in d.incident_titles:
                    d.incident_titles.append(i.title)


def _context(site: Site, lang: str) -> dict[str, Any]:
    labels = status_labels()
    indicator = v2.indicator_of(site)
    other = "he" if lang == "en" else "en"
    return {
        "site": site,
        "lang": lang,
        "dir": "rtl" if lang in RTL else "ltr",
        "prefix": prefix(lang),
        "other_lang": other,
        "other_prefix": prefix(other),
        "indicator": indicator,
        "indicator_label": labels[indicator],
        "partial_weight_pct": round(site.partial_weight * 100),
        "generated_iso": v2.ts(site.generated_at),
        "brand": site.brand,
    }


def _card(i: IncidentData, *, lang: str, site: Site) -> dict[str, Any]:
    return _incident_view(i, lang, site, card=True)


@dataclass(frozen=True)
class Selection:
    """The pages an incremental publish renders besides those every publish renders: these
    months of history and these incidents' pages (public ids)."""

    months: frozenset[str]
    incidents: frozenset[str]


def _front(site: Site, lang: str, base: dict[str, Any], bars: dict[str, list[uptime.Day]]) -> str:
    groups, loose = _component_views(site, bars)
    recent_cut = site.generated_at.timestamp() - RECENT_DAYS * 86400
    ctx = {
        **base,
        "page_path": "/",
        "groups": groups,
        "loose": loose,
        "active": [
            _incident_view(i, lang, site, card=True)
            for i in site.incidents
            if i.kind == "incident" and i.is_active
        ],
        "maint_active": [
            _incident_view(i, lang, site, card=True)
            for i in site.incidents
            if i.kind == "maintenance" and i.is_active
        ],
        "upcoming": [
            _incident_view(i, lang, site, card=True)
            for i in sorted(
                (i for i in site.incidents if i.is_upcoming),
                key=lambda m: m.scheduled_for or m.started_at,
            )
        ],
        "recent": [
            _incident_view(i, lang, site, card=False)
            for i in site.incidents
            if not i.is_active and not i.is_upcoming and i.started_at.timestamp() >= recent_cut
        ],
    }
    return render_to_string("statuspage/index.html", ctx)


def render_pages(whole: Site, only: Selection | None = None) -> dict[str, str]:
    """HTML pages of the site, URL path -> HTML: all of them, or (``only``) the front page,
    the history index and the selected months and incidents, in every language."""
    pages: dict[str, str] = {}
    bars = uptime_days(whole)
    for lang in LANGS:
        site = whole.in_language(lang)
        with translation.override(lang):
            base = _context(site, lang)
            p = prefix(lang)
            pages[p + "/"] = _front(site, lang, base, bars)
            pages.update(
                history.render(
                    site,
                    base,
                    view=partial(_card, lang=lang, site=site),
                    months=None if only is None else only.months,
                )
            )
            for i in site.incidents:
                if only is None or i.id in only.incidents:
                    pages[f"{p}/incidents/{i.id}"] = render_to_string(
                        "statuspage/incident.html",
                        {
                            **base,
                            "page_path": f"/incidents/{i.id}",
                            "x": _incident_view(i, lang, site),
                        },
                    )
    return pages
