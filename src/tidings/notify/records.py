"""What the read models of notify share (who was told, who is disabled): a page of records with
how many there are in all. The records themselves are pydantic models that the API's schemas
subclass, so a field is declared once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    total: int
    items: list[T]
