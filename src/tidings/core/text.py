"""Text as it enters Tidings, and Markdown for update bodies.

One place for the rules every text field follows (titles, names, bodies, FAQ):

* Bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069) are
  removed wherever text enters. U+202E turns "exe.txt" into what reads as "txt.exe"; nothing a
  status page or a customer message says needs them. The plain direction marks LRM (U+200E),
  RLM (U+200F) and ALM (U+061C) stay: they only settle where neutral characters such as
  brackets and full stops fall next to Hebrew, cannot reorder letters, and Hebrew writers type
  them on purpose ("(API)" at the end of a Hebrew sentence needs one).
* A single-line field (a title, a name) refuses every control character, line breaks and tabs
  included: a title goes into email subjects, feed titles and chat headers, where a line break
  starts a new header or message.
* Multi-line text (a body, an answer) keeps tabs and line breaks and refuses the other
  control characters, which no editor produces on purpose.

Markdown bodies are rendered with raw HTML disabled, then sanitised again, so nothing an author
(or a compromised account) writes can run script on the public page."""

from __future__ import annotations

import functools
import re
import unicodedata

import nh3
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from markdown_it import MarkdownIt

from tidings.core.errors import InvalidInput

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)
_ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h3", "h4", "h5", "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip


# Every publish renders each update on several pages in both languages: about half of a publish
# went into parsing the same texts again. Bodies are bounded (max_body_chars), so is the cache.
@functools.lru_cache(maxsize=2048)
def render_markdown(source: str) -> str:
    html = _md.render(source)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


#: Embedding, override and isolate controls: removed from all text.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: Control characters (Unicode category Cc) and the line and paragraph separators, which a
#: renderer takes for line breaks: none may be in a single line.
_NOT_IN_A_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: The same less tab, line feed and carriage return: what multi-line text may not hold.
_NOT_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_NAMES = {
    "\t": gettext_noop("tab"),
    "\n": gettext_noop("line feed"),
    "\r": gettext_noop("carriage return"),
    "\x00": "NUL",
}


def clean(text: str, *, field: str, single_line: bool) -> str:
    """``text`` without bidirectional controls and surrounding blanks; :class:`InvalidInput`
    naming the first control character a field of its kind may not hold."""
    text = BIDI_CONTROLS.sub("", text)
    found = (_NOT_IN_A_LINE if single_line else _NOT_IN_TEXT).search(text)
    if found:
        ch = found.group()
        name = _(_NAMES[ch]) if ch in _NAMES else unicodedata.name(ch, "").lower()
        values = {
            "field": field,
            "code": f"U+{ord(ch):04X}",
            "name": name or _("control character"),
            "position": found.start() + 1,
        }
        # The field's name (an API key) leads in every language: the console finds the input
        # a refusal is about by it, and the API client knows it by that name.
        if single_line:
            message = _(
                "%(field)s contains %(code)s (%(name)s) at position %(position)d; "
                "%(field)s must be a single line"
            )
        else:
            message = _(
                "%(field)s contains %(code)s (%(name)s) at position %(position)d; "
                "%(field)s may not hold control characters"
            )
        raise InvalidInput(message % values)
    return text.strip()


def line(value: str, *, field: str, max_chars: int = 0, required: bool = False) -> str:
    """A single-line field (title, name): cleaned, within ``max_chars`` (0: no limit)."""
    text = clean(value, field=field, single_line=True)
    if required and not text:
        raise InvalidInput(_("%(field)s is required") % {"field": field})
    if max_chars and len(text) > max_chars:
        raise _too_long(field, len(text), max_chars)
    return text


def _too_long(field: str, length: int, max_chars: int) -> InvalidInput:
    return InvalidInput(
        _("%(field)s is %(length)d characters; the limit is %(max)d")
        % {"field": field, "length": length, "max": max_chars}
    )


def check_localized(
    value: object, *, field: str, max_chars: int, required: bool, single_line: bool = False
) -> dict[str, str]:
    """Validate ``{"en": "...", "he": "..."}``; return it cleaned (:func:`clean`) with blank
    entries dropped."""
    from django.conf import settings

    if value is None:
        value = {}
    plain = isinstance(value, str)  # given as plain text: name the field, not "field.en"
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, dict):
        raise InvalidInput(
            _("%(field)s must be an object of language code to text") % {"field": field}
        )
    known = {code for code, _label in settings.LANGUAGES}
    cleaned: dict[str, str] = {}
    for lang, given in value.items():
        if lang not in known:
            raise InvalidInput(
                _("%(field)s: unknown language %(lang)s (use one of %(known)s)")
                % {"field": field, "lang": repr(lang), "known": sorted(known)}
            )
        if not isinstance(given, str):
            raise InvalidInput(_("%(field)s must be text") % {"field": f"{field}.{lang}"})
        where = field if plain else f"{field}.{lang}"
        text = clean(given, field=where, single_line=single_line)
        if len(text) > max_chars:
            raise _too_long(where, len(text), max_chars)
        if text:
            cleaned[lang] = text
    if required and not cleaned:
        raise InvalidInput(_("%(field)s needs text in at least one language") % {"field": field})
    return cleaned


def check_localized_line(
    value: object, *, field: str, max_chars: int, required: bool = True
) -> dict[str, str]:
    """A single-line text per language (a title, a name): :func:`check_localized` with no line
    breaks or other control characters, which would break subjects, SMS and feeds."""
    return check_localized(
        value, field=field, max_chars=max_chars, required=required, single_line=True
    )


def default_language() -> str:
    from django.conf import settings

    return str(settings.LANGUAGE_CODE)


def pick(localized: dict[str, str], lang: str, fallback: str = "en") -> str:
    return localized.get(lang) or localized.get(fallback) or next(iter(localized.values()), "")


def default_text(localized: dict[str, str]) -> str:
    """The text in the default language, else any: what sorts, searches and names a row."""
    return pick(localized, default_language(), default_language())
