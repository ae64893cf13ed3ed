"""Template filters for texts kept per language (an incident's titles): the console shows the
reader's language first, so a Hebrew console is Hebrew at a glance."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation
from django.utils.translation import get_language

from tidings.core.text import pick

register = template.Library()


@register.filter
def localized(texts: Any, fallback: str = "") -> str:
    """``{{ incident.titles|localized:incident.title }}``: the text in the page's language, else
    the default language's, else ``fallback``."""
    return pick(texts or {}, get_language() or "en") or fallback


@register.filter
def other_languages(texts: Any) -> list[tuple[str, str, str]]:
    """(language, text, direction) of the texts in languages other than the page's: shown under
    the first, smaller."""
    page = get_language() or "en"
    shown = pick(texts or {}, page)
    return [
        (lang, text, "rtl" if translation.get_language_info(lang)["bidi"] else "ltr")
        for lang, text in (texts or {}).items()
        if text and text != shown
    ]
