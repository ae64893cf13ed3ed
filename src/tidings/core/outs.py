"""API answers built from model rows: an answer's field takes the row's attribute of the same
name, so a view lists only the fields that differ (another name, a default, a conversion) and a
field added to both needs no third edit."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

Out = TypeVar("Out", bound=BaseModel)


def copied(out: type[Out], row: object, **given: Any) -> Out:
    """``out`` with each field from ``given`` if named there, else from ``row``'s attribute."""
    return out(**{name: given[name] if name in given else getattr(row, name)
                  for name in out.model_fields})  # fmt: skip
