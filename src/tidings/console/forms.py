"""Reading the console's forms: text per language, component statuses, the audience, the
promised next update; and putting a service's refusal next to the field it is about."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from tidings.core.errors import InvalidInput
from tidings.incidents.rules import Audience

LANGS = ("en", "he")
#: The first words of a service's message, and the field it is about.
_FIELDS = (
    ("title", "title"), ("body", "body"), ("fill in", "body"), ("bodies", "body"),
    ("unknown component", "components"), ("component", "components"), ("severity", "severity"),
    ("impact", "impact"), ("audience", "audience"), ("segment", "audience"),
    ("next_update_due_at", "next"), ("question", "question"), ("answer", "answer"),
    ("url", "url"), ("name", "name"), ("slug", "slug"), ("scheduled_until", "until"),
    ("scheduled_for", "start"), ("a maintenance must end", "until"), ("names", "name"),
)  # fmt: skip


def error_field(message: str) -> str:
    lowered = message.lower()
    for start, name in _FIELDS:
        if lowered.startswith(start):
            return name
    return "form"


def localized(post: QueryDict, name: str) -> dict[str, str]:
    """``name_en`` and ``name_he`` as ``{"en": ..., "he": ...}``, blanks left out."""
    return {lang: v for lang in LANGS if (v := post.get(f"{name}_{lang}", "").strip())}


def component_statuses(post: QueryDict) -> dict[str, str]:
    """``comp_<id>`` selects: the components named and the status each is set to."""
    return {k[5:]: str(v) for k, v in post.items() if k.startswith("comp_") and v}


def audience(post: QueryDict) -> Audience:
    chosen = post.get("audience", "affected")
    if chosen == "plans":
        plans = post.getlist("plans")
        if not plans:
            raise refused("audience", _("audience: choose at least one plan"))
        return {"plans": plans}
    return chosen


def next_due(post: QueryDict, now: datetime) -> datetime | None:
    """The promised next update: minutes from now, or the default for the severity."""
    raw = post.get("next_minutes", "").strip()
    if not raw:
        return None
    try:
        minutes = int(raw)
    except ValueError:
        raise refused("next", _("next_update_due_at: give a number of minutes")) from None
    if not 1 <= minutes <= 24 * 60:
        raise refused("next", _("next_update_due_at: between 1 minute and 24 hours"))
    return now + timedelta(minutes=minutes)


def local_time(value: str, field: str) -> datetime:
    """A ``datetime-local`` input, read in UTC (the console shows UTC throughout)."""
    from datetime import UTC

    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise refused(
            "start" if field == "scheduled_for" else "until", _("give a date and time")
        ) from None


def refused(field: str, message: str) -> InvalidInput:
    """A refusal written by the console (translated), with the field it is about."""
    return InvalidInput(message, field=field)


class Errors(dict[str, list[str]]):
    def add(self, message: str, field: str | None = None) -> None:
        self.setdefault(field or error_field(message), []).append(message)

    def refusal(self, exc: Exception) -> None:
        self.add(getattr(exc, "message", str(exc)), getattr(exc, "field", None))


def keep(post: QueryDict) -> dict[str, Any]:
    """What was typed, to show again with the errors."""
    return {k: post.getlist(k) if k == "plans" else post.get(k) for k in post}
