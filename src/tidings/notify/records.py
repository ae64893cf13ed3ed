"""What the read models of notify share (who was told, who is disabled, why deliveries are
where they are): a page of records with how many there are in all.

The records themselves are frozen pydantic models, and each API schema that shows one
subclasses it (``class ToldOut(history.Told, Schema)``) instead of repeating its fields: a
field and its API description are declared once, on the record. The schemas have no docstring
of their own, which would become the schema's description in the API document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    total: int
    items: list[T]
