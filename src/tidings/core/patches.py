"""PATCH bodies that follow the create body: the same fields, each optional, with the same
limits, so a limit is declared once (on the create schema) and the two cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar, cast

from ninja import Schema
from pydantic import create_model

T = TypeVar("T")


def patch_of(full: type[Schema]) -> Callable[[type[T]], type[T]]:
    """Give the decorated schema every field of ``full``, optional and ``None`` unless sent
    (``payload.dict(exclude_unset=True)`` is what to change), with ``full``'s limits but not
    its defaults (a field left out is kept, not reset) nor its descriptions (they are
    documented on ``full``). The decorated class stays empty and without a docstring, which
    would become the schema's description in the API document."""

    def build(cls: type[T]) -> type[T]:
        fields: dict[str, Any] = {}
        for name, field in full.model_fields.items():
            kind: Any = field.annotation
            if field.metadata:  # the limits: min_length, max_length...
                kind = Annotated[(kind, *field.metadata)]
            fields[name] = (kind | None, None)
        made = create_model(cls.__name__, __base__=Schema, __module__=cls.__module__, **fields)
        return cast("type[T]", made)

    return build
