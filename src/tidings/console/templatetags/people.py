"""Template filters of the people screens."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """``{{ labels|get:row.status }}``: a dictionary's value for a variable key (the key
    itself when it has none)."""
    try:
        return mapping.get(key, key)
    except AttributeError:
        return key


@register.filter
def when(value: Any, fmt: str = "Y-m-d H:i e") -> str:
    """A time as ``<time>``, kept left to right inside a right-to-left page (dates and
    "UTC" would otherwise be reordered)."""
    from django.utils.dateformat import format as date_format
    from django.utils.html import format_html
    from django.utils.timezone import localtime

    if not value:
        return "—"
    local = localtime(value)
    return format_html(
        '<time datetime="{}" dir="ltr">{}</time>', local.isoformat(), date_format(local, fmt)
    )
