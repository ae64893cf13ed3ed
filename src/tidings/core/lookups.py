"""``field__any=[ids]``: membership in a long list of integers, for the delivery worker's
batches of hundreds of ids. ``__in`` sends one placeholder per value, each prepared by the ORM
and then found again in the SQL text by the driver; on PostgreSQL this sends the list as one
array parameter (``= ANY(%s)``), which measured at a fraction of the CPU for 500 ids. Other
databases get the plain ``IN (...)``. Text fields learn it too (public ids): with one array
parameter, a query's SQL is the same however many ids it names, so it can be compiled once
(:mod:`tidings.core.prepared`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.models import Lookup

#: The fields that learn ``__any`` (registered by the core app when Django starts), and
#: those that learn it for text.
FIELDS = (models.IntegerField, models.AutoField, models.ForeignKey)
TEXT_FIELDS = (models.CharField,)


class AnyOf(Lookup):  # type: ignore[type-arg]
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[int]:
        # Integers only: what these lists hold (primary and foreign keys), and what makes
        # the array's type plain for the driver.
        return [int(v) for v in self.rhs]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if not self.rhs:
            raise EmptyResultSet
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", (*lhs_params, *self.rhs)

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if not self.rhs:
            raise EmptyResultSet
        return f"{lhs} = ANY(%s)", (*lhs_params, self.rhs)


class TextAnyOf(AnyOf):
    """``__any`` for text columns: the values as strings (an array of text on PostgreSQL)."""

    def get_prep_lookup(self) -> list[str]:  # type: ignore[override]
        return [str(v) for v in self.rhs]
