"""A console page about one thing: the domain's lookup by id, its ``NotFound`` turned into the
console's 404 page. One place, so every screen answers a stale or mistyped link alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.http import Http404

from tidings.core.errors import NotFound

K = TypeVar("K")
T = TypeVar("T")


def or_404(lookup: Callable[[K], T], key: K) -> T:
    """``lookup(key)``, or a 404 page when the domain has no such thing."""
    try:
        return lookup(key)
    except NotFound:
        raise Http404(str(key)) from None
