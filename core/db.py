"""Database helpers shared by the apps."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from django.db import connection
from django.db.models import Model

_M = TypeVar("_M", bound=Model)


@contextmanager
def literal_parameters() -> Iterator[None]:
    """Within the block, quote query parameters into the SQL (psycopg's client-side binding) on
    PostgreSQL, whatever DB_SERVER_SIDE_BINDING says; elsewhere it changes nothing.

    Server-side binding (and the prepared statements it allows) makes the many small queries of
    a request cheaper, but batch jobs send statements over thousands of ids, and PostgreSQL plans
    those better from literals: the points expiry took twice as long with bound parameters, and
    ten times as long once its batch statement was prepared. Batch jobs run inside this."""
    if connection.vendor != "postgresql":
        yield
        return
    from django.db.backends.postgresql.base import Cursor

    connection.ensure_connection()
    raw = connection.connection
    previous = raw.cursor_factory
    raw.cursor_factory = Cursor
    try:
        yield
    finally:
        raw.cursor_factory = previous


def model_columns(model: type[Model], alias: str) -> str:
    """Every concrete column of `model`, qualified by the table alias, in field order: what
    `fetch_instances` and `fetch_joined` expect a query to select."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(str(field.column))}" for field in model._meta.concrete_fields)


_Loader = tuple[list[str], list[tuple[int, list, Any]], int]
_loaders: dict[tuple[type[Model], str], _Loader] = {}


def _loader(model: type[Model]) -> _Loader:
    """The attribute names, the converters by column, and the primary key's position."""
    key = (model, connection.vendor)
    if key not in _loaders:
        fields = model._meta.concrete_fields
        converters = []
        for index, field in enumerate(fields):
            column = field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((index, found, column))
        pk_index = next(i for i, field in enumerate(fields) if field.primary_key)
        _loaders[key] = ([field.attname for field in fields], converters, pk_index)
    return _loaders[key]


def fetch_joined(
    sql: str, params: Sequence[Any], models: Sequence[type[Model]]
) -> list[tuple[Model | None, ...]]:
    """One plain query selecting `model_columns()` of each of `models` in turn (a join), as
    tuples of instances; an instance is None where an outer join found no row.

    What `Model.objects.raw()` gives, without what it works out again on every call (the column
    order, the converters): for lookups on every API request, such as the token's user."""
    loaders = [_loader(model) for model in models]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = []
    for row in rows:
        instances: list[Model | None] = []
        start = 0
        for model, (names, converters, pk_index) in zip(models, loaders, strict=True):
            values = list(row[start : start + len(names)])
            start += len(names)
            if values[pk_index] is None:
                instances.append(None)
                continue
            for index, functions, column in converters:
                for function in functions:
                    values[index] = function(values[index], column, connection)
            instances.append(model.from_db(connection.alias, names, values))
        result.append(tuple(instances))
    return result


def fetch_instances(model: type[_M], sql: str, params: Sequence[Any]) -> list[_M]:
    """Instances of `model` from one plain query that selects `model_columns(model, alias)`."""
    return [row[0] for row in fetch_joined(sql, params, [model])]  # type: ignore[misc]


def insert_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    suffix: str = "",
    returning: Sequence[str] = (),
) -> list[tuple]:
    """INSERT `rows` (values in the order of the field names `columns`) into `model`'s table in
    one statement, without building model instances: on PostgreSQL one array per column
    (SELECT … FROM UNNEST, planned once whatever the number of rows), elsewhere a VALUES list.
    Values are prepared by their fields (JSON fields take Python values). `suffix` is SQL after
    the rows (e.g. ON CONFLICT … DO NOTHING); returns the `returning` columns of the rows
    inserted, in their order. For set-based writes on hot paths, where bulk_create's per-object
    work is the cost."""
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.models import Field, JSONField

    if not rows:
        return []
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    fields = [cast(Field, model._meta.get_field(name)) for name in columns]
    prepared: list[list[Any]] = []
    for field in fields:
        index = len(prepared)
        if isinstance(field, JSONField):
            encoder = field.encoder
            prepared.append([json.dumps(row[index], cls=encoder) for row in rows])
        else:
            prep = field.get_db_prep_save
            prepared.append([prep(row[index], connection=db) for row in rows])
    names = [quote(field.column or field.name) for field in fields]
    table = quote(model._meta.db_table)
    if db.vendor == "postgresql":
        types = [
            "text"
            if isinstance(f, JSONField)
            else (f.rel_db_type(db) if f.is_relation else f.db_type(db))
            for f in fields
        ]
        selected = ", ".join(
            f"c{i}::jsonb" if isinstance(f, JSONField) else f"c{i}" for i, f in enumerate(fields)
        )
        arrays = ", ".join(f"%s::{db_type}[]" for db_type in types)
        aliases = ", ".join(f"c{i}" for i in range(len(fields)))
        source = f"SELECT {selected} FROM UNNEST({arrays}) AS t({aliases})"  # noqa: S608 - from _meta
        params: list[Any] = prepared
    else:
        row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
        source = "VALUES " + ", ".join([row_sql] * len(rows))
        params = [value for row in zip(*prepared, strict=True) for value in row]
    sql = f"INSERT INTO {table} ({', '.join(names)}) {source} {suffix}"
    if returning:
        sql += " RETURNING " + ", ".join(
            quote(cast(Field, model._meta.get_field(n)).column or n) for n in returning
        )
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()] if returning else []
