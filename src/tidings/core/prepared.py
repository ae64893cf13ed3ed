"""Hot statements compiled once per thread. Django builds a query's SQL anew each time
it runs (about a third of a millisecond for a join with an ordering), which for the staff
API's lists costs as much as running them. With ``<field>__any`` (:mod:`tidings.core.lookups`)
PostgreSQL gets the ids as one array, so the SQL text is the same whatever the ids: it is
compiled once per thread and then only run, its rows converted by the same compiler as the
ORM's would be. On other databases the list is one placeholder per id and the ORM runs it.

Every staff write inserts the same few rows (its event, its publish request, a status
change): :class:`Insert` keeps the ORM's INSERT text for a model and only prepares each row's
values, as the ORM's own compiler does."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from itertools import chain
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Field, Model, Q, QuerySet
from django.db.models.query import ModelIterable, get_related_populators  # type: ignore[attr-defined]
from django.db.models.sql.subqueries import InsertQuery, UpdateQuery

M = TypeVar("M", bound=Model)


class IdsRead:
    """``read(ids)``: the rows of ``build(ids)``, a ``values_list`` query whose only parameter
    is ``ids`` through ``__any``, as tuples, exactly as iterating that query gives them."""

    def __init__(self, build: Callable[[list[int]], QuerySet[Any, Any]]) -> None:
        self.build = build
        # Per thread: a compiler holds the connection it was made for.
        self._local = threading.local()

    def __call__(
        self, ids: Collection[int], using: str = DEFAULT_DB_ALIAS
    ) -> list[tuple[Any, ...]]:
        wanted = [int(i) for i in ids]
        connection = connections[using]
        if connection.vendor != "postgresql" or not wanted:
            return list(self.build(wanted))
        compiled: tuple[str, Any] | None = getattr(self._local, using, None)
        if compiled is None:
            compiler = self.build([0]).query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            # Anything but the one array (a query built with other parameters) is not this
            # read's shape: the ORM runs it each time instead.
            compiled = (sql, compiler if list(params) == [[0]] else None)
            setattr(self._local, using, compiled)
        sql, compiler = compiled
        if compiler is None:
            return list(self.build(wanted))
        with connection.cursor() as cursor:
            cursor.execute(sql, [wanted])
            rows = cursor.fetchall()
        return list(compiler.results_iter(results=[rows], tuple_expected=True))


class Insert(Generic[M]):
    """``insert(obj)`` or ``insert.many(objs)``: save new ``model`` instances as ``save()`` or
    ``bulk_create()`` would (every concrete column but an automatic primary key, which it sets
    from the database's answer), with the INSERT's text built once per thread, database and
    number of rows. Each row's values are prepared as the ORM's insert compiler prepares them,
    and laid out by that compiler (one ``VALUES`` row each, or PostgreSQL's arrays per column).
    For models nothing listens to: it sends no ``pre_save``/``post_save`` signals and calls no
    overridden ``save()``."""

    #: More rows than this at once go through ``bulk_create`` (batched, and not worth keeping).
    MAX_ROWS = 16

    def __init__(self, model: type[M]) -> None:
        meta = model._meta
        self.model = model
        self.fields: list[Field[Any, Any]] = [
            f for f in meta.local_concrete_fields if f is not meta.auto_field
        ]
        self.returning: list[Field[Any, Any]] = list(meta.db_returning_fields)
        # A placeholder that depends on the value would change the text row by row.
        self.fits = not any(hasattr(f, "get_placeholder") for f in self.fields)
        self._local = threading.local()

    def __call__(self, obj: M, using: str = DEFAULT_DB_ALIAS) -> M:
        self.many([obj], using)
        return obj

    def many(self, objs: list[M], using: str = DEFAULT_DB_ALIAS) -> list[M]:
        if not objs:
            return objs
        assert all(o._state.adding and o.pk is None for o in objs), "new rows only"
        connection = connections[using]
        n = len(objs)
        if (
            not self.fits
            or n > self.MAX_ROWS
            or (n > 1 and not connection.features.can_return_rows_from_bulk_insert)
        ):
            return self.model._default_manager.using(using).bulk_create(objs)
        statements: dict[int, tuple[str, Any]] = self._local.__dict__.setdefault(using, {})
        if n not in statements:
            query = InsertQuery(self.model)
            query.insert_values(self.fields, list[Model](objs))
            compiler = query.get_compiler(using=using)
            compiler.returning_fields = self.returning
            [(sql, _params)] = compiler.as_sql()
            statements[n] = (sql, compiler)
        sql, compiler = statements[n]
        # What SQLInsertCompiler.prepare_value gives for a plain value (auto_now included).
        rows = [
            [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in self.fields]
            for obj in objs
        ]
        _placeholders, param_rows = compiler.assemble_as_sql(self.fields, rows)
        params = [*chain.from_iterable(param_rows), *compiler.returning_params]
        ops, meta = connection.ops, self.model._meta
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if n > 1:
                returned = ops.fetch_returned_insert_rows(cursor)  # type: ignore[attr-defined]
            elif connection.features.can_return_columns_from_insert:
                returned = [ops.fetch_returned_insert_columns(cursor, compiler.returning_params)]
            else:
                returned = [(ops.last_insert_id(cursor, meta.db_table, meta.pk.column),)]  # type: ignore[union-attr]
        for obj, row in zip(objs, returned, strict=True):
            for field, value in zip(self.returning, row, strict=True):
                setattr(obj, field.attname, value)
            obj._state.adding, obj._state.db = False, using
        return objs


class Save(Generic[M]):
    """``save(obj)``: write the columns of an existing row as ``obj.save()`` does (every one,
    or ``obj.save(update_fields=fields)``'s), with the UPDATE's text built once per thread,
    database and pattern of NULLs (the ORM writes a NULL into the text, not as a parameter).
    For models nothing listens to: no signals, no overridden ``save()``; a row that is gone is
    an error, never inserted again."""

    def __init__(self, model: type[M], fields: tuple[str, ...] = ()) -> None:
        meta = model._meta
        self.model = model
        self.update_fields = list(fields) or None
        self.fields: list[Field[Any, Any]] = (
            [meta.get_field(name) for name in fields]  # type: ignore[misc]
            if fields
            else [f for f in meta.local_concrete_fields if not f.primary_key]
        )
        self.fits = not any(hasattr(f, "get_placeholder") for f in self.fields)
        self._local = threading.local()

    def __call__(self, obj: M, using: str = DEFAULT_DB_ALIAS) -> None:
        assert not obj._state.adding and obj.pk is not None, "Save writes existing rows only"
        if not self.fits:
            obj.save(using=using, update_fields=self.update_fields)
            return
        connection = connections[using]
        raw = [f.pre_save(obj, False) for f in self.fields]
        prepared = [
            f.get_db_prep_save(v, connection) for f, v in zip(self.fields, raw, strict=True)
        ]
        key = tuple(v is None for v in prepared)
        statements: dict[tuple[bool, ...], str] = self._local.__dict__.setdefault(using, {})
        if key not in statements:
            query = UpdateQuery(self.model)
            query.add_update_fields(list(zip(self.fields, [None] * len(raw), raw, strict=True)))
            query.add_q(Q(pk=obj.pk))
            sql, params = query.get_compiler(using=using).as_sql()
            # One parameter per value that is not NULL, then the key; anything else (an
            # expression among the values) is not this statement's shape.
            if len(params) != len(key) - sum(key) + 1:
                obj.save(using=using, update_fields=self.update_fields)
                return
            statements[key] = sql
        params = [v for v in prepared if v is not None]
        params.append(self.model._meta.pk.get_db_prep_value(obj.pk, connection))  # type: ignore[union-attr]
        with connection.cursor() as cursor:
            cursor.execute(statements[key], params)
            if cursor.rowcount != 1:
                raise DatabaseError(f"{self.model.__name__} {obj.pk} is gone: nothing updated")
        obj._state.db = using


def _compile(
    build: Callable[..., QuerySet[Any, Any]],
    args: tuple[Any, ...],
    sample: tuple[Any, ...],
    using: str,
) -> tuple[str, Any, list[tuple[bool, Any]]] | None:
    """``build(*args)`` compiled: its SQL, its compiler and where each parameter comes from,
    ``(True, j)`` for ``args[j]`` and ``(False, value)`` for a constant. Found by compiling
    ``build(*sample)`` too: a parameter that differs between the two is an argument, one that
    does not is a constant. None when that cannot be told apart (different SQL text, an
    argument equal to its sample, a parameter that is neither)."""
    qs = build(*args)
    compiler = qs.query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    if args:
        if any(a == b for a, b in zip(args, sample, strict=True)):
            return None
        other_sql, other = build(*sample).query.get_compiler(using=using).as_sql()
        if other_sql != sql or len(other) != len(params):
            return None
    else:
        other = params
    layout: list[tuple[bool, Any]] = []
    for mine, theirs in zip(params, other, strict=True):
        if mine == theirs:
            layout.append((False, mine))
            continue
        found = [j for j, a in enumerate(args) if a == mine and sample[j] == theirs]
        if len(found) != 1:
            return None
        layout.append((True, found[0]))
    return sql, compiler, layout


def _run(sql: str, layout: list[tuple[bool, Any]], args: tuple[Any, ...], using: str) -> list[Any]:
    params = [args[v] if is_arg else v for is_arg, v in layout]
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


class Rows:
    """``rows(*args)``: the tuples of ``build(*args)``, a ``values_list`` query, compiled once
    per thread and then only run: for the questions every write asks again (is a publish
    already queued, which hooks are on, who follows a component). How the compiled path is
    found and when it is not: :func:`_compile`; without it the ORM runs the query each time."""

    def __init__(self, build: Callable[..., QuerySet[Any, Any]], *sample: Any) -> None:
        self.build, self.sample = build, sample
        self._local = threading.local()

    def __call__(self, *args: Any, using: str = DEFAULT_DB_ALIAS) -> list[tuple[Any, ...]]:
        compiled: Any = getattr(self._local, using, None)
        if compiled is None:
            compiled = _compile(self.build, args, self.sample, using) or False
            setattr(self._local, using, compiled)
        if compiled is False:
            return [tuple(row) for row in self.build(*args)]
        sql, compiler, layout = compiled
        rows = _run(sql, layout, args, using)
        if compiler.has_extra_select:  # columns the ORDER BY of a DISTINCT needs: not asked for
            rows = [row[: compiler.col_count] for row in rows]
        return list(compiler.results_iter(results=[rows], tuple_expected=True))


class Read(Generic[M]):
    """``read(*args)``: the model instances of ``build(*args)`` (``select_related`` joins
    included), as iterating that query gives them, with its SQL compiled once per thread (see
    :func:`_compile`; a query it cannot tell apart runs through the ORM each time, so a build
    that does not fit costs speed, never a wrong answer). Not for querysets with
    annotations, extra columns or prefetches."""

    def __init__(self, build: Callable[..., QuerySet[M]], *sample: Any) -> None:
        self.build, self.sample = build, sample
        self._local = threading.local()

    def __call__(self, *args: Any, using: str = DEFAULT_DB_ALIAS) -> list[M]:
        compiled = getattr(self._local, using, None)
        if compiled is None:
            compiled = self._compile(args, using)
            setattr(self._local, using, compiled)
        if compiled is False:
            return list(self.build(*args))
        sql, compiler, layout, init_list, start, end, populators = compiled
        rows = _run(sql, layout, args, using)
        model = compiler.klass_info["model"]
        found = []
        for row in compiler.results_iter(results=[rows]):  # the ORM's converters, as it runs them
            obj = model.from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            found.append(obj)
        return found

    def _compile(self, args: tuple[Any, ...], using: str) -> Any:
        qs = self.build(*args)
        compiled = _compile(self.build, args, self.sample, using)
        if (
            compiled is None
            or qs._iterable_class is not ModelIterable
            or getattr(qs, "_prefetch_related_lookups", None)
            or getattr(qs, "_known_related_objects", None)
        ):
            return False
        sql, compiler, layout = compiled
        if compiler.annotation_col_map or compiler.has_extra_select:
            return False
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [f[0].target.attname for f in select[start:end]]
        populators = get_related_populators(klass_info, select, using)
        return sql, compiler, layout, init_list, start, end, populators
