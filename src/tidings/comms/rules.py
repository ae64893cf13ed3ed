"""Pure rules of message templates: placeholders and how a template is filled.

A template body holds ``{placeholders}``. Those Tidings knows from the incident (its title,
components, times, links) are filled in; the others are slots the author must write
(``{cause}``, ``{data_statement}``): they stay in the text as they are, and :func:`unfilled`
lists them so that nothing half-written is published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

#: Placeholders Tidings fills from the incident, with what each becomes.
KNOWN = {
    "title": "the incident's title",
    "components": "the affected components, by name",
    "start_time": "when it started",
    "end_time": "when it was resolved (now, if it is being resolved)",
    "now_time": "when the update is posted",
    "next_update_time": "when the next update is promised",
    "incident_url": "the incident's page",
    "status_url": "the status page",
    "scheduled_for": "a maintenance's start",
    "scheduled_until": "a maintenance's end",
    "eta": "the estimated recovery, only when staff set one with high confidence",
}

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


@dataclass(frozen=True)
class Template:
    """A template for one phase: what status it posts and its text per language."""

    key: str
    kind: str  # "incident" or "maintenance"
    #: The status an update from this template sets; "" keeps the incident's current status.
    status: str
    names: dict[str, str]
    bodies: dict[str, str]
    builtin: bool = True
    edited: bool = False


def placeholders(text: str) -> list[str]:
    """Every placeholder of ``text``, in order, once each."""
    seen: dict[str, None] = {}
    for name in _PLACEHOLDER.findall(text):
        seen.setdefault(name, None)
    return list(seen)


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with each placeholder that has a (non-empty) value replaced by it."""

    def one(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return value if value else match.group(0)

    return _PLACEHOLDER.sub(one, text)


def unfilled(text: str) -> list[str]:
    """The slots still waiting for the author's words."""
    return placeholders(text)


_BRACE = re.compile(r"[{}]")


def check_body(text: str) -> list[str]:
    """Why a template body cannot be saved (empty when it can). A brace that does not open or
    close a ``{name}`` would go out to customers as it is, since only well-formed placeholders
    are filled or caught as unfilled."""
    from django.utils.translation import gettext as _

    if not text.strip():
        return [_("the text is empty")]
    problems = []
    pos = 0
    for brace in _BRACE.finditer(text):
        if brace.start() < pos:
            continue  # inside a placeholder already read
        found = _PLACEHOLDER.match(text, brace.start())
        if found:
            pos = found.end()
            continue
        start = brace.start()
        if brace.group() == "{":
            near = text[start : start + 24].split("\n", maxsplit=1)[0]
            near = near[: near.find("}") + 1] if "}" in near else near
        else:
            near = text[max(0, start - 12) : start + 1].rsplit("\n", maxsplit=1)[-1]
        if brace.group() == "{" and "}" not in text[start:]:
            problems.append(
                _("a placeholder is not closed: “%(near)s”; write {name}") % {"near": near}
            )
        else:
            problems.append(
                _(
                    "“%(near)s” is not a placeholder: write {name} in lowercase letters, digits and _"
                )
                % {"near": near}
            )
        break  # one problem at a time is enough to find it
    return problems


def slots(bodies: dict[str, str]) -> dict[str, list[str]]:
    """Per language, the placeholders the author fills (those Tidings does not know)."""
    return {
        lang: [p for p in placeholders(text) if p not in KNOWN] for lang, text in bodies.items()
    }


def when(value: datetime | None, zone: str) -> str:
    """A moment as staff and customers read it in messages: ``2026-11-23 14:30 UTC``."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(zone))
    label = local.tzname() or zone
    return f"{local:%Y-%m-%d %H:%M} {label}"
