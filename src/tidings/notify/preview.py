"""Exactly what an update not yet published would send: each channel's own ``render()`` over
the same :class:`UpdateView` the fan-out builds (:func:`tidings.notify.views.views_of`), in
every language, and the public page's snippet. Nothing is written."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict, Unpack

from django.template.loader import render_to_string
from django.utils import translation
from pydantic import BaseModel, ConfigDict

from tidings.components.models import Component
from tidings.config import get_settings
from tidings.core import clock
from tidings.core.text import pick, render_markdown
from tidings.incidents.models import Incident, IncidentUpdate
from tidings.notify.channels.sms.channel import is_gsm, segments
from tidings.notify.registry import CHANNELS, channel_class
from tidings.notify.views import views_of

LANGS = ("en", "he")


class Rendering(BaseModel):
    """What one channel would send in one language; also the API's ``RenderingOut`` (see
    :mod:`.records`)."""

    model_config = ConfigDict(frozen=True)

    channel: str
    language: str
    subject: str
    text: str
    html: str
    payload_json: str
    #: SMS and other text channels: characters and SMS segments of the text (0 and "" for
    #: the others)
    chars: int
    segments: int
    encoding: str


@dataclass
class DraftPreview:
    renderings: list[Rendering] = field(default_factory=list)
    page: dict[str, str] = field(default_factory=dict)  # language -> HTML snippet

    def by_channel(self) -> dict[str, list[Rendering]]:
        out: dict[str, list[Rendering]] = {}
        for r in self.renderings:
            out.setdefault(r.channel, []).append(r)
        return out


class Draft(TypedDict):
    """An update as staff are still writing it: what it says and what it would set. The same
    keywords for the unsaved update and for its preview, so the two cannot drift apart."""

    status: str
    bodies: dict[str, str]
    next_update_due_at: datetime | None
    components: list[tuple[Component, str]]


def draft_update(
    incident: Incident, **draft: Unpack[Draft]
) -> tuple[IncidentUpdate, list[IncidentUpdate], list[Component]]:
    """The unsaved update, the incident's updates with it first, and its components with the
    statuses the draft would set."""
    now = clock.now()
    components = draft["components"]
    update = IncidentUpdate(
        incident=incident, status=draft["status"], bodies=draft["bodies"], created_at=now,
        display_at=now, next_update_due_at=draft["next_update_due_at"], author="",
    )  # fmt: skip
    previous = list(incident.updates.order_by("-display_at", "-id")) if incident.pk else []
    named = {c.pk: (c, s) for c, s in components}
    held: list[Component] = []
    if incident.pk:
        held = list(
            Component.objects.filter(incidentcomponent__incident=incident).select_related("group")
        )
    shown = []
    for c in held + [c for c, _ in components if c.pk not in {h.pk for h in held}]:
        if c.pk in named:
            c.status = named[c.pk][1]  # an unsaved copy: the database row is untouched
        shown.append(c)
    return update, [update, *previous], shown


def render_draft(
    incident: Incident, *, channels: tuple[str, ...] = tuple(CHANNELS), **draft: Unpack[Draft]
) -> DraftPreview:
    update, updates, shown = draft_update(incident, **draft)
    views = views_of(incident, update, updates, shown, set(LANGS))
    out = DraftPreview()
    for channel in channels:
        for lang in LANGS:
            r = channel_class(channel).render(views[lang])
            text_sized = channel in ("sms", "whatsapp", "telegram")
            out.renderings.append(
                Rendering(
                    channel=channel, language=lang, subject=r.subject, text=r.text, html=r.html,
                    payload_json=json.dumps(r.payload, ensure_ascii=False, indent=2) if r.payload else "",
                    chars=len(r.text) if text_sized else 0,
                    segments=segments(r.text) if channel == "sms" else 0,
                    encoding=("GSM-7" if is_gsm(r.text) else "UCS-2") if channel == "sms" else "",
                )
            )  # fmt: skip
    for lang in LANGS:
        out.page[lang] = page_snippet(incident, update, [c for c in shown], lang)
    return out


def page_snippet(
    incident: Incident, update: IncidentUpdate, components: list[Component], lang: str
) -> str:
    """The incident as the public page would show it, rendered with the page's own template."""
    from tidings.statuspage.html import prefix
    from tidings.statuspage.words import impact_labels, status_labels

    with translation.override(lang):
        labels = status_labels()
        x: dict[str, Any] = {
            "i": {
                "id": incident.public_id, "kind": incident.kind, "impact": incident.impact,
                "title": pick(incident.titles or {}, lang, "") or incident.title,
                "scheduled_for": incident.scheduled_for,
                "scheduled_until": incident.scheduled_until,
                "next_update_due_at": update.next_update_due_at,
            },
            "url": f"{get_settings().public_url}{prefix(lang)}/incidents/{incident.public_id}",
            "status_label": labels.get(update.status, update.status),
            "impact_label": impact_labels().get(incident.impact, incident.impact),
            "updates": [{"u": update, "html": render_markdown(pick(update.bodies, lang))}],
            "components": [pick(c.names or {}, lang, "") or c.name for c in components],
        }  # fmt: skip
        return render_to_string("statuspage/_incident.html", {"x": x, "show_latest": True})
