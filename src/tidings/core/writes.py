"""The step each staff API write takes: a use case run as the request's actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from django.http import HttpRequest

from tidings.core.auth import actor_of

T = TypeVar("T")


def as_actor(request: HttpRequest, service: Callable[..., T], /, **args: Any) -> T:
    """``service(actor=..., **args)`` in a savepoint of the write's transaction (the API's
    ``one_transaction``), as the views have always run their use case. The lookups a view
    makes first (``get_...``) run in that transaction too."""
    with transaction.atomic():
        return service(actor=actor_of(request), **args)
