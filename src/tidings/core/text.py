"""Markdown for update bodies: rendered with raw HTML disabled, then sanitised again, so nothing
an author (or a compromised account) writes can run script on the public page."""

from __future__ import annotations

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


def render_markdown(source: str) -> str:
    html = _md.render(source)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def check_localized(value: object, *, field: str, max_chars: int, required: bool) -> dict[str, str]:
    """Validate ``{"en": "...", "he": "..."}``; return it with blank entries dropped."""
    from django.conf import settings

    if value is None:
        value = {}
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} must be an object of language code to text")
    known = {code for code, _ in settings.LANGUAGES}
    cleaned: dict[str, str] = {}
    for lang, text in value.items():
        if lang not in known:
            raise InvalidInput(f"{field}: unknown language {lang!r} (use one of {sorted(known)})")
        if not isinstance(text, str):
            raise InvalidInput(f"{field}.{lang} must be text")
        if "\x00" in text:
            raise InvalidInput(f"{field}.{lang} contains a NUL character")
        if len(text) > max_chars:
            raise InvalidInput(
                f"{field}.{lang} is {len(text)} characters; the limit is {max_chars}"
            )
        if text.strip():
            cleaned[lang] = text.strip()
    if required and not cleaned:
        raise InvalidInput(f"{field} needs text in at least one language")
    return cleaned


def check_localized_line(
    value: object, *, field: str, max_chars: int, required: bool = True
) -> dict[str, str]:
    """A single-line text per language (a title, a name): as :func:`check_localized`, and no
    line breaks or other control characters, which would break subjects, SMS and feeds."""
    cleaned = check_localized(value, field=field, max_chars=max_chars, required=required)
    for lang, text in cleaned.items():
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
            raise InvalidInput(f"{field}.{lang} must be a single line without control characters")
    return cleaned


def default_language() -> str:
    from django.conf import settings

    return str(settings.LANGUAGE_CODE)


def pick(localized: dict[str, str], lang: str, fallback: str = "en") -> str:
    return localized.get(lang) or localized.get(fallback) or next(iter(localized.values()), "")


def default_text(localized: dict[str, str]) -> str:
    """The text in the default language, else any: what sorts, searches and names a row."""
    return pick(localized, default_language(), default_language())
