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
_NAMES = {"\t": "tab", "\n": "line feed", "\r": "carriage return", "\x00": "NUL"}


def clean(text: str, *, field: str, single_line: bool) -> str:
    """``text`` without bidirectional controls and surrounding blanks; :class:`InvalidInput`
    naming the first control character a field of its kind may not hold."""
    text = BIDI_CONTROLS.sub("", text)
    found = (_NOT_IN_A_LINE if single_line else _NOT_IN_TEXT).search(text)
    if found:
        ch = found.group()
        name = _NAMES.get(ch) or unicodedata.name(ch, "control character").lower()
        rule = "must be a single line" if single_line else "may not hold control characters"
        raise InvalidInput(
            f"{field} contains U+{ord(ch):04X} ({name}) at position {found.start() + 1}; "
            f"{field} {rule}"
        )
    return text.strip()


def line(value: str, *, field: str, max_chars: int = 0, required: bool = False) -> str:
    """A single-line field (title, name): cleaned, within ``max_chars`` (0: no limit)."""
    text = clean(value, field=field, single_line=True)
    if required and not text:
        raise InvalidInput(f"{field} is required")
    if max_chars and len(text) > max_chars:
        raise InvalidInput(f"{field} is {len(text)} characters; the limit is {max_chars}")
    return text


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
        raise InvalidInput(f"{field} must be an object of language code to text")
    known = {code for code, _ in settings.LANGUAGES}
    cleaned: dict[str, str] = {}
    for lang, given in value.items():
        if lang not in known:
            raise InvalidInput(f"{field}: unknown language {lang!r} (use one of {sorted(known)})")
        if not isinstance(given, str):
            raise InvalidInput(f"{field}.{lang} must be text")
        where = field if plain else f"{field}.{lang}"
        text = clean(given, field=where, single_line=single_line)
        if len(text) > max_chars:
            raise InvalidInput(f"{where} is {len(text)} characters; the limit is {max_chars}")
        if text:
            cleaned[lang] = text
    if required and not cleaned:
        raise InvalidInput(f"{field} needs text in at least one language")
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
