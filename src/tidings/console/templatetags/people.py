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
