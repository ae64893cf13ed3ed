"""The public HTML pages, rendered once per snapshot and language with Django templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC
from functools import partial
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from tidings.core.text import pick, render_markdown
from tidings.statuspage import history, uptime, v2
from tidings.statuspage.data import ComponentData, IncidentData, Site
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


def _incident_view(i: IncidentData, lang: str, site: Site) -> dict[str, Any]:
    labels = status_labels()
    return {
        "i": i,
        "url": f"{prefix(lang)}/incidents/{i.id}",
        "status_label": labels.get(i.status, i.status),
        "impact_label": impact_labels().get(i.impact, i.impact),
        "updates": [
            {
                "u": u,
                "status_label": labels.get(u.status, u.status),
                "html": render_markdown(pick(u.bodies, lang)),
                "translated": lang in u.bodies,
            }
            for u in i.updates
        ],
        "components": [c.name for cid in i.component_ids if (c := site.component(cid))],
        "faq": [
            {"q": pick(f.question, lang), "a": render_markdown(pick(f.answer, lang))} for f in i.faq
        ],
        "workarounds": [_resource(r, lang) for r in i.resources if r.kind == "workaround"],
        "links": [_resource(r, lang) for r in i.resources if r.kind == "link"],
    }


def _resource(r: Any, lang: str) -> dict[str, str]:
    return {
        "title": pick(r.title, lang),
        "html": render_markdown(pick(r.body, lang)) if r.body else "",
        "url": r.url,
    }


def _component_views(site: Site) -> tuple[list[GroupView], list[ComponentView]]:
    labels = status_labels()
    views: dict[str, ComponentView] = {}
    for c in site.components:
        days = uptime.daily(
            changes=site.changes.get(c.id, ()),
            current=c.status,
            days=site.uptime_days,
            now=site.generated_at,
            partial_weight=site.partial_weight,
            since=c.start_date,
        )
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


def _localized_view(i: IncidentData, *, lang: str, site: Site) -> dict[str, Any]:
    return _incident_view(i, lang, site)


@dataclass(frozen=True)
class Selection:
    """The pages an incremental publish renders besides those every publish renders: these
    months of history and these incidents' pages (public ids)."""

    months: frozenset[str]
    incidents: frozenset[str]


def _front(site: Site, lang: str, base: dict[str, Any]) -> str:
    groups, loose = _component_views(site)
    recent_cut = site.generated_at.timestamp() - RECENT_DAYS * 86400
    ctx = {
        **base,
        "page_path": "/",
        "groups": groups,
        "loose": loose,
        "active": [
            _incident_view(i, lang, site)
            for i in site.incidents
            if i.kind == "incident" and i.is_active
        ],
        "maint_active": [
            _incident_view(i, lang, site)
            for i in site.incidents
            if i.kind == "maintenance" and i.is_active
        ],
        "upcoming": [
            _incident_view(i, lang, site)
            for i in sorted(
                (i for i in site.incidents if i.is_upcoming),
                key=lambda m: m.scheduled_for or m.started_at,
            )
        ],
        "recent": [
            _incident_view(i, lang, site)
            for i in site.incidents
            if not i.is_active and not i.is_upcoming and i.started_at.timestamp() >= recent_cut
        ],
    }
    return render_to_string("statuspage/index.html", ctx)


def render_pages(whole: Site, only: Selection | None = None) -> dict[str, str]:
    """HTML pages of the site, URL path -> HTML: all of them, or (``only``) the front page,
    the history index and the selected months and incidents, in every language."""
    pages: dict[str, str] = {}
    for lang in LANGS:
        site = whole.in_language(lang)
        with translation.override(lang):
            base = _context(site, lang)
            p = prefix(lang)
            pages[p + "/"] = _front(site, lang, base)
            pages.update(
                history.render(
                    site,
                    base,
                    view=partial(_localized_view, lang=lang, site=site),
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
