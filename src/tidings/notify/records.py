"""What the read models of notify share (who was told, who is disabled): a record an API schema
takes field by field, and a page of records with how many there are in all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Record:
    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class Page(Generic[T]):
    total: int
    items: list[T]
