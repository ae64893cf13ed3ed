"""Filters the public templates use for branding and component groups."""

from __future__ import annotations

from django import template

from tidings.statuspage.brandrules import Link

register = template.Library()


@register.filter
def label_in(link: Link, lang: str) -> str:
    """A brand link's label in ``lang`` (the English one where none was written)."""
    return link.label(lang)


@register.filter
def status_label(status: str) -> str:
    """A component status in the active language."""
    from tidings.statuspage.words import status_labels

    return status_labels().get(status, status)
