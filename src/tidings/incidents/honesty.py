"""Honesty checks: pure functions that read a draft update as customers would and warn when it
hides something (issue 15: "tell only the truth, even 'we don't know yet'").

Each check takes a :class:`Subject` and returns what it finds, in words, or None;
:data:`CHECKS` is the registry, run in order, and gives each finding its code and field. A warning stops the publication unless the author overrides it with a reason (the
publishing path records the reason). Messages are translated in the active language, so they
read in the author's language; the code is stable for API clients and overrides."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

#: Minimising or blaming phrases per language; staff edit their own list (these are the seed).
DEFAULT_WORDS: dict[str, tuple[str, ...]] = {
    "en": (
        "minor glitch", "only a few users", "a third party", "third-party", "small number",
        "briefly", "out of our control", "beyond our control", "a handful of", "isolated",
    ),
    "he": (
        "תקלה קטנה", "מספר קטן של משתמשים", "צד שלישי", "לזמן קצר", "באופן נקודתי",
        "לא בשליטתנו", "מעט משתמשים",
    ),
}  # fmt: skip

#: Statuses after which nothing more is said, so no next update is promised.
CLOSED = ("resolved", "completed", "cancelled")
#: Component statuses that mean the component is still broken.
BROKEN = ("degraded_performance", "partial_outage", "major_outage")

# A promised time of repair: "ETA", "expected to be fixed/restored by/within", "by 14:30",
# "within 2 hours"; in Hebrew "צפוי/צפויה", "עד השעה", "תוך שעתיים/X דקות".
_ETA = {
    "en": re.compile(
        r"\beta\b|\bexpect(?:ed|s)?\b.{0,40}\b(?:fix|fixed|resolv|restor|back)"
        r"|\bby\s+\d{1,2}(?::\d{2})?\s*(?:am|pm|utc)?\b|\bwithin\s+(?:\d+|an?|one|two)\s+(?:minute|hour)",
        re.IGNORECASE,
    ),
    "he": re.compile(r"צפוי|עד השעה|תוך\s+(?:\d+\s+)?(?:דקות|שעה|שעות|שעתיים)|עד\s+\d{1,2}:\d{2}"),
}
# A data-impact statement mentions data: what was or was not exposed, lost or changed.
_DATA = {
    "en": re.compile(r"\bdata\b|\brecords?\b|\bpersonal information\b", re.IGNORECASE),
    "he": re.compile(r"נתונים|מידע|רשומות"),
}


@dataclass(frozen=True)
class Warning:
    """One finding; the API answers it as ``dataclasses.asdict`` gives it (code, message, field)."""

    code: str
    message: str
    #: The form field it is about: body, next, components or confidence.
    field: str


@dataclass(frozen=True)
class Subject:
    """A draft as it would be published, and what it is compared with."""

    status: str
    bodies: dict[str, str]
    next_update_due_at: datetime | None = None
    #: The author's internal confidence in the repair estimate: low, medium, high or "".
    confidence: str = ""
    #: The incident touched customer data (exposed, lost or changed).
    data_impact: bool = False
    #: The bodies of the update before this one, if any.
    previous: dict[str, str] = field(default_factory=dict)
    #: Component public id (or name) -> the status this draft leaves it at.
    components: dict[str, str] = field(default_factory=dict)
    #: Minimising words per language.
    words: Mapping[str, Iterable[str]] = field(default_factory=dict)


#: A check reads a draft and says what it hides, in the active language, or None: each check
#: warns once at most, and its code and field are in :data:`CHECKS`.
Check = Callable[[Subject], str | None]


def _texts(s: Subject) -> Iterable[tuple[str, str]]:
    return ((lang, text) for lang, text in s.bodies.items() if text and text.strip())


def no_next_update(s: Subject) -> str | None:
    if s.status in CLOSED or s.status == "scheduled" or s.next_update_due_at is not None:
        return None
    return _("The update does not say when the next one comes; customers are left wondering.")


def eta_low_confidence(s: Subject) -> str | None:
    if s.confidence != "low" or s.status in CLOSED:
        return None
    langs = [lang for lang, text in _texts(s) if lang in _ETA and _ETA[lang].search(text)]
    if not langs:
        return None
    return _("The message gives a time of repair while our confidence in it is low.")


def data_impact_unstated(s: Subject) -> str | None:
    if not s.data_impact or s.status not in CLOSED:
        return None
    texts = list(_texts(s))
    if texts and all(lang in _DATA and _DATA[lang].search(text) for lang, text in texts):
        return None
    return _("This incident touched data: say what happened to it before resolving.")


def _phrase_in(phrase: str, text: str) -> bool:
    # Word boundaries where the phrase starts or ends with a letter: "briefly" is not "briefs".
    pattern = re.escape(phrase.strip().lower())
    return re.search(rf"(?<!\w){pattern}(?!\w)", text.lower()) is not None


def minimising_words(s: Subject) -> str | None:
    found: list[str] = []
    for lang, text in _texts(s):
        for phrase in s.words.get(lang, ()):
            if phrase.strip() and _phrase_in(phrase, text) and phrase not in found:
                found.append(phrase)
    if not found:
        return None
    quoted = ", ".join(f"“{p}”" for p in found)
    return _("Minimising or blaming words: %(words)s. Say what happened and own it.") % {
        "words": quoted
    }


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def repeats_previous(s: Subject) -> str | None:
    same = [
        lang
        for lang, text in _texts(s)
        if s.previous.get(lang) and _normal(s.previous[lang]) == _normal(text)
    ]
    if not same:
        return None
    return _("The message repeats the previous update word for word; say what is new.")


def outage_on_resolved(s: Subject) -> str | None:
    if s.status not in CLOSED:
        return None
    broken = sorted(c for c, status in s.components.items() if status in BROKEN)
    if not broken:
        return None
    return _("Resolved while components are still in outage: %(names)s.") % {
        "names": ", ".join(broken)
    }


#: Every check with its stable code (API clients and overrides use it) and the form field it is
#: about (body, next, components or confidence), in the order their warnings are shown.
CHECKS: tuple[tuple[str, str, Check], ...] = (
    ("no_next_update", "next", no_next_update),
    ("eta_low_confidence", "body", eta_low_confidence),
    ("data_impact_unstated", "body", data_impact_unstated),
    ("minimising_words", "body", minimising_words),
    ("repeats_previous", "body", repeats_previous),
    ("outage_on_resolved", "components", outage_on_resolved),
)
CODES = tuple(code for code, _about, _check in CHECKS)


def run(subject: Subject) -> list[Warning]:
    return [
        Warning(code, message, about)
        for code, about, check in CHECKS
        if (message := check(subject)) is not None
    ]


def unanswered(warnings: list[Warning], overrides: dict[str, str]) -> list[Warning]:
    """The warnings not overridden with a reason (a blank reason overrides nothing)."""
    return [w for w in warnings if not (overrides.get(w.code) or "").strip()]


def clean_words(words: Iterable[str]) -> list[str]:
    """A word list as staff typed it: trimmed, blanks and repeats dropped, order kept."""
    out: list[str] = []
    for typed in words:
        w = " ".join(typed.split())[:100]
        if w and w.casefold() not in {o.casefold() for o in out}:
            out.append(w)
    return out
