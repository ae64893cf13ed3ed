"""The document behind the in-product banner (``/banner.json``): what is going on right now,
in both languages, small enough for every page view of a customer's product to poll.

Only what is under way: active public incidents and maintenances in progress. Nothing in it
changes from one publish to the next unless the incidents do (no version, no generation
time), so an unchanged document keeps its ETag and pollers get 304s.
"""

from __future__ import annotations

import html as htmllib
from typing import Any

import nh3
from django.utils import translation

from tidings.components.rules import describe_indicator
from tidings.core.text import pick, render_markdown
from tidings.statuspage import v2, words
from tidings.statuspage.data import IncidentData, Site
from tidings.statuspage.html import LANGS, prefix

TEXT_LIMIT = 280
_IMPACT_ORDER = {"critical": 0, "major": 1, "minor": 2, "none": 3}


def plain_text(markdown: str, limit: int = TEXT_LIMIT) -> str:
    """An update as one short line of text: markdown rendered, every tag dropped."""
    text = htmllib.unescape(nh3.clean(render_markdown(markdown), tags=set()))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _entry(site: Site, i: IncidentData, status_labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    latest = i.updates[0] if i.updates else None
    urls = {lang: f"{site.page.url}{prefix(lang)}/incidents/{i.id}" for lang in LANGS}
    doc: dict[str, Any] = {
        "id": i.id,
        "kind": i.kind,
        "title": i.title,
        "titles": {lang: i.titles.get(lang) or i.title for lang in LANGS},
        "status": i.status,
        "status_label": {lang: status_labels[lang].get(i.status, i.status) for lang in LANGS},
        "impact": "maintenance" if i.kind == "maintenance" else i.impact,
        "update": {lang: plain_text(pick(latest.bodies, lang)) if latest else "" for lang in LANGS},
        "updated_at": v2.ts(latest.display_at if latest else i.updated_at),
        "url": urls["en"],
        "urls": urls,
        "next_update_due_at": v2.ts(i.next_update_due_at),
    }
    if i.kind == "maintenance":
        doc["scheduled_until"] = v2.ts(i.scheduled_until)
    return doc


def document(site: Site) -> dict[str, Any]:
    status_labels: dict[str, dict[str, str]] = {}
    labels: dict[str, dict[str, str]] = {}
    for lang in LANGS:
        with translation.override(lang):
            status_labels[lang] = words.status_labels()
            labels[lang] = words.banner_labels()
    indicator = v2.indicator_of(site)
    active = [i for i in site.incidents if i.is_active]
    # The worst incident first, then maintenances; newest first within each.
    active.sort(
        key=lambda i: (
            i.kind == "maintenance",
            _IMPACT_ORDER.get(i.impact, 9),
            -(i.updates[0].display_at if i.updates else i.started_at).timestamp(),
        )
    )
    return {
        "page": {"name": site.page.name, "url": site.page.url},
        "status": {
            "indicator": indicator,
            "description": describe_indicator(indicator),
            "label": {lang: status_labels[lang].get(indicator, "") for lang in LANGS},
        },
        "incidents": [_entry(site, i, status_labels) for i in active],
        "labels": labels,
    }
