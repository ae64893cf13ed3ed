"""Atom, RSS 2.0 and iCalendar documents (formats.md 1.7 and 5), built by hand with the
standard library's XML escaping: the formats are small and fixed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import partial
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.translation import gettext as _

from tidings.core.text import pick, render_markdown
from tidings.statuspage.data import IncidentData, Site

FEED_LIMIT = 25
CALENDAR_DAYS = 365  # maintenances ended longer ago than this leave the calendar
#: Feeds exist per language: ``/history.atom`` in the default language, ``/he/history.atom``...
#: Each renders from ``site.in_language(lang)``, so titles and names are in that language.
XML_LANG = {"en": "en-US", "he": "he-IL"}


def _prefix(lang: str) -> str:
    return "" if lang == "en" else f"/{lang}"


def _feed_title(site: Site, lang: str) -> str:
    with translation.override(lang):
        return _("%(name)s Status - Incident History") % {"name": site.page.name}


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _content(i: IncidentData, lang: str, labels: dict[str, str]) -> str:
    parts = []
    for u in i.updates:
        label = labels.get(u.status) or u.status.replace("_", " ").capitalize()
        parts.append(
            f"<p><small>{u.display_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC</small><br>"
            f"<strong>{escape(label)}</strong> - "
            f"{render_markdown(pick(u.bodies, lang))}</p>"
        )
    return "".join(parts)


def _status_labels(lang: str) -> dict[str, str]:
    from tidings.statuspage.words import status_labels as labels

    with translation.override(lang):
        return labels()


def _recent(site: Site) -> list[IncidentData]:
    return sorted(site.incidents, key=lambda i: i.updated_at, reverse=True)[:FEED_LIMIT]


#: How a feed writes one entry: from the incident, its page's link and its content (HTML).
Entry = Callable[[IncidentData, str, str], str]


def _entries(site: Site, lang: str, entry: Entry) -> str:
    """What both feeds list, each in its own markup: every recent incident, in ``entry``."""
    base = site.page.url + _prefix(lang)
    labels = _status_labels(lang)
    return "".join(
        entry(i, f"{base}/incidents/{i.id}", _content(i, lang, labels)) for i in _recent(site)
    )


def _atom_entry(host: str, i: IncidentData, link: str, content: str) -> str:
    return (
        "<entry>"
        f"<id>tag:{escape(host)},2005:Incident/{i.id}</id>"
        f"<published>{_iso(i.created_at)}</published><updated>{_iso(i.updated_at)}</updated>"
        f'<link rel="alternate" type="text/html" href="{escape(link)}"/>'
        f"<title>{escape(i.title)}</title>"
        f'<content type="html">{escape(content)}</content>'
        "</entry>"
    )


def atom(site: Site, lang: str = "en") -> str:
    url = site.page.url
    base = url + _prefix(lang)
    entries = _entries(site, lang, partial(_atom_entry, _host(url)))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<feed xml:lang="{XML_LANG.get(lang, lang)}" xmlns="http://www.w3.org/2005/Atom">'
        f"<id>tag:{escape(_host(url))},2005:{_prefix(lang)}/history</id>"
        f'<link rel="alternate" type="text/html" href="{escape(base)}/"/>'
        f'<link rel="self" type="application/atom+xml" href="{escape(base)}/history.atom"/>'
        f"<title>{escape(_feed_title(site, lang))}</title>"
        f"<updated>{_iso(site.page.updated_at)}</updated>"
        f"<author><name>{escape(site.page.name)}</name></author>" + entries + "</feed>\n"
    )


def _rss_item(i: IncidentData, link: str, content: str) -> str:
    return (
        "<item>"
        f"<title>{escape(i.title)}</title>"
        f"<description>{escape(content)}</description>"
        f"<pubDate>{format_datetime(i.created_at.astimezone(UTC), usegmt=True)}</pubDate>"
        f"<link>{escape(link)}</link><guid>{escape(link)}</guid>"
        "</item>"
    )


def rss(site: Site, lang: str = "en") -> str:
    base = site.page.url + _prefix(lang)
    title = _feed_title(site, lang)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        f"<title>{escape(title)}</title>"
        f"<link>{escape(base)}/</link>"
        f'<atom:link href="{escape(base)}/history.rss" rel="self" type="application/rss+xml"/>'
        f"<description>{escape(title)}</description>"
        f"<language>{XML_LANG.get(lang, lang)}</language>"
        f"<lastBuildDate>{format_datetime(site.page.updated_at.astimezone(UTC), usegmt=True)}</lastBuildDate>"
        + _entries(site, lang, _rss_item)
        + "</channel></rss>\n"
    )


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545 3.1: lines longer than 75 octets are folded with CRLF + space."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    chunk = b""
    for ch in line:
        b = ch.encode()
        if len(chunk) + len(b) > (75 if not parts else 74):
            parts.append(chunk.decode())
            chunk = b""
        chunk += b
    parts.append(chunk.decode())
    return "\r\n ".join(parts)


def ical(site: Site, lang: str = "en") -> str:
    stamp = site.generated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    oldest = site.generated_at - timedelta(days=CALENDAR_DAYS)
    with translation.override(lang):
        calendar = _("%(name)s maintenances") % {"name": site.page.name}
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//Tidings//{_ics_text(site.page.name)} maintenances//{lang.upper()}",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_ics_text(calendar)}",
    ]
    for m in site.incidents:
        if m.kind != "maintenance" or m.scheduled_for is None or m.scheduled_until is None:
            continue
        if m.scheduled_until < oldest:
            continue  # a calendar of the past year and what is planned, not of all history
        latest = m.updates[0] if m.updates else None
        lines += [
            "BEGIN:VEVENT",
            f"UID:{m.id}@{_host(site.page.url)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{m.scheduled_for.astimezone(UTC):%Y%m%dT%H%M%SZ}",
            f"DTEND:{m.scheduled_until.astimezone(UTC):%Y%m%dT%H%M%SZ}",
            f"SUMMARY:{_ics_text(m.title)}",
            f"DESCRIPTION:{_ics_text(pick(latest.bodies, lang) if latest else '')}",
            f"URL:{site.page.url}{_prefix(lang)}/incidents/{m.id}",
            f"STATUS:{'CANCELLED' if m.status == 'cancelled' else 'CONFIRMED'}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
