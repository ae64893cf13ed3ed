"""What Tidings tells its own staff: pages to the on-call staff when an alert fires, and its
events (incident declared, updated, resolved; component changed) to the staff Slack/Teams
channels and signed webhooks configured as event hooks. Every one is a Delivery row written in
the caller's transaction, sent by the workers like any customer message: a failure is retried,
never lost."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from tidings.config import get_settings
from tidings.core import clock, events
from tidings.core.models import Event
from tidings.core.prepared import Rows
from tidings.core.text import pick
from tidings.notify.models import Delivery, Message
from tidings.notify.protocol import Rendered, UpdateView
from tidings.notify.registry import channel_class

if TYPE_CHECKING:
    from tidings.monitors.models import AlertGroup

log = logging.getLogger(__name__)


def _view(*, lang: str, title: str, text: str, status: str, url: str) -> UpdateView:
    s = get_settings()
    return UpdateView(
        language=lang, site_name=s.site_name, page_url=s.public_url, incident_id="", incident_url=url,
        title=title, kind="incident", status=status, status_label=status, impact="none",
        body_markdown=text, body_html=f"<p>{escape(text)}</p>", body_text=text, components=[],
        next_update_due_at=None, scheduled_for=None, scheduled_until=None, posted_at=clock.now(),
        is_first=True, statuspage_payload={"page_id": ""}, page_status={"indicator": "", "description": ""},
    )  # fmt: skip


def _page_text(group: AlertGroup, what: str, names: str) -> tuple[str, str]:
    title = group.title or group.label
    when = group.publish_at.strftime("%H:%M:%S UTC") if group.publish_at else ""
    texts = {
        "pending": _("Alert firing: %(title)s (%(components)s). It will be posted on the status page at %(when)s unless you confirm, edit or dismiss it in the console."),
        "posted": _("Alert firing: %(title)s (%(components)s). The incident is declared and posted on the status page."),
        "again": _("Alert firing again: %(title)s (%(components)s), while its incident is still open."),
        "resolved_unposted": _("Alert resolved before it was posted: %(title)s. Nothing was published."),
    }  # fmt: skip
    return _("Alert: %(title)s") % {"title": title}, texts[what] % {
        "title": title,
        "components": names or "-",
        "when": when,
    }


def _component_names(ids: Iterable[str], lang: str) -> str:
    from tidings.components.models import Component

    rows = Component.objects.filter(public_id__in=list(ids)).values_list("name", "names")
    return ", ".join(pick(names or {}, lang, "") or name for name, names in rows)


def _deliver(
    kind: str, channel: str, lang: str, rendered: Rendered, targets: Iterable[tuple[str, str]]
) -> int:
    now = clock.now()
    message = Message.objects.create(
        kind=kind, channel=channel, language=lang, subject=rendered.subject, text=rendered.text,
        html=rendered.html, payload=rendered.payload, created_at=now,
    )  # fmt: skip
    rows = [
        Delivery(message=message, channel=channel, target=target, signing_secret=secret,
                 next_attempt_at=now, created_at=now)
        for target, secret in dict(targets).items()
    ]  # fmt: skip
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def on_call_targets() -> dict[tuple[str, str], list[str]]:
    """(channel, language) -> targets of the active on-call staff; no channel means email."""
    from tidings.staff.models import StaffProfile

    found: dict[tuple[str, str], list[str]] = {}
    profiles = StaffProfile.objects.filter(on_call=True, user__is_active=True, user__is_staff=True)
    for p in profiles.select_related("user"):
        for ch in p.channels or [{"channel": "email", "target": ""}]:
            target = ch.get("target") or (p.user.email if ch.get("channel") == "email" else "")
            if target:
                found.setdefault((str(ch["channel"]), p.language or "en"), []).append(str(target))
    return found


def page_on_call(*, group: AlertGroup, what: str) -> int:
    """Page the on-call staff about an alert group on their own channels."""
    url = f"{get_settings().public_url}/console/monitors#group-{group.public_id}"
    sent = 0
    for (channel, lang), targets in on_call_targets().items():
        with translation.override(lang):
            title, text = _page_text(group, what, _component_names(group.components, lang))
            try:
                rendered = channel_class(channel).render(
                    _view(lang=lang, title=title, text=text, status=_("Alert"), url=url)
                )
            except KeyError:
                log.warning("on-call page: no channel %r", channel)
                continue
        sent += _deliver("page", channel, lang, rendered, ((t, "") for t in targets))
    return sent


# --- Tidings' own events to staff channels ---------------------------------------------


def _enabled_hook_languages() -> QuerySet[Any, Any]:
    from tidings.monitors.models import EventHook

    return EventHook.objects.filter(enabled=True).values_list("language")


#: Asked at every incident update and component change: compiled once (core.prepared).
_hook_languages = Rows(_enabled_hook_languages)


def _hook_messages(event: Event) -> tuple[str, dict[str, UpdateView]] | None:
    """The event's name for hooks and its view in every hook language, or None."""
    from tidings.components.models import Component
    from tidings.incidents.models import IncidentUpdate
    from tidings.notify.views import build_component_views, build_views

    if event.kind == "component.status_changed" and event.data.get("incident_id") is not None:
        return None  # told as part of the incident's update; no query for it
    langs = {lang for (lang,) in _hook_languages()}
    if not langs:
        return None
    if event.kind == "incident.update_posted":
        update = IncidentUpdate.objects.select_related("incident").get(
            public_id=event.data["update_id"]
        )
        views = build_views(update, langs)
        first = next(iter(views.values()))
        name = "incident.declared" if first.is_first else "incident.updated"
        return ("incident.resolved" if update.status == "resolved" else name), views
    if event.kind == "component.status_changed" and event.data.get("incident_id") is None:
        component = Component.objects.select_related("group").get(public_id=event.subject_id)
        views = build_component_views(component, old=event.data["old"], new=event.data["new"],
                                      at=event.at, change_id=f"cu{event.pk}", languages=langs)  # fmt: skip
        return "component.changed", views
    return None


def on_event(event: Event) -> None:
    """Send incident and component events to every enabled staff hook (internal incidents
    too: staff hear about everything)."""
    if event.kind not in ("incident.update_posted", "component.status_changed"):
        return
    found = _hook_messages(event)
    if found is None:
        return
    from tidings.monitors.models import EventHook

    name, views = found
    for hook in EventHook.objects.filter(enabled=True):
        rendered = channel_class(hook.kind).render(views[hook.language])
        if hook.kind == "webhook" and rendered.payload is not None:
            rendered = Rendered(
                subject=rendered.subject, payload={"event": name, **rendered.payload}
            )
        _deliver("staff", hook.kind, hook.language, rendered, [(hook.url, hook.secret)])


def connect() -> None:
    events.subscribe(on_event, in_transaction=True)
