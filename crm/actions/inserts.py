"""Inserting many rows and learning their ids, in the order given, on either database.

SQLAlchemy's executemany costs ~50–120 µs of Python a row (each value through its type's
bind processing, every row compiled into the statement's parameters): an import of 100,000
leads spent most of its time there, for the leads, their welcome mails and their audit rows.
From ``FAST_FROM`` rows on, the rows are written below SQLAlchemy's statement layer, on the
same connection and in the same transaction: each value through its column's own bind
processor (so a naive time or a bad enum value is refused exactly as before, and each
distinct value is processed once a column), then PostgreSQL's ``COPY`` (ids drawn from the
table's sequence first) or SQLite's ``executemany``/``lastrowid`` in C.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import sqlalchemy as sa

FAST_FROM = 50  # fewer rows: the plain statement, whose setup costs less than the fast path's


def insert_rows(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> list[int]:
    """Insert ``rows`` into ``table``; their new ids, in the order given.

    On PostgreSQL, several rows take their ids from the table's own sequence first and are
    then inserted with them, as the column default would have drawn them.
    """
    if len(rows) >= FAST_FROM and _fast_columns(table, rows) is not None:
        return _fast_insert(connection, table, rows, want_ids=True)
    if connection.dialect.name != "postgresql" or len(rows) < 2:
        return connection.execute(_insert_returning(table), rows).scalars().all()
    ids = _sequence_ids(connection, table, len(rows))
    connection.execute(
        table.insert(), [{**row, "id": new_id} for row, new_id in zip(rows, ids, strict=True)]
    )
    return ids


def insert_many(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Insert ``rows`` into ``table`` (their ids not needed)."""
    if not rows:
        return
    if len(rows) >= FAST_FROM and _fast_columns(table, rows) is not None:
        _fast_insert(connection, table, rows, want_ids=False)
    else:
        connection.execute(_insert(table), rows)


# Built once a table: an event's audit row and new record are inserted one at a time.
@functools.cache
def _insert(table: sa.Table) -> sa.Insert:
    return table.insert()


@functools.cache
def _insert_returning(table: sa.Table) -> sa.Insert:
    return table.insert().returning(table.c.id, sort_by_parameter_order=True)


def _sequence_ids(connection: sa.Connection, table: sa.Table, count: int) -> list[int]:
    return (
        connection.execute(
            sa.text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) AS id "
                "FROM generate_series(1, :n) ORDER BY 1"
            ),
            {"table": table.name, "n": count},
        )
        .scalars()
        .all()
    )


def _fast_columns(table: sa.Table, rows: list[dict]) -> list[sa.Column] | None:
    """The columns the rows give, with those a Python-side default fills; None when the fast
    path cannot write them as SQLAlchemy would (rows with different keys, an unknown key, a
    default that is an SQL expression)."""
    keys = rows[0].keys()
    if any(row.keys() != keys for row in rows) or not set(keys) <= set(table.c.keys()):
        return None
    columns = [table.c[name] for name in keys]
    for column in table.c:
        if column.name in keys or column.default is None:
            continue
        if not (column.default.is_scalar or column.default.is_callable):
            return None
        columns.append(column)
    return columns


def _fast_insert(
    connection: sa.Connection, table: sa.Table, rows: list[dict], *, want_ids: bool
) -> list[int]:
    columns = _fast_columns(table, rows)
    assert columns is not None
    dialect = connection.dialect
    given = [column.name for column in columns if column.name in rows[0]]
    defaults = [_default_value(column) for column in columns[len(given) :]]
    processors = [_processor(column, dialect) for column in columns]
    values = (tuple(row[name] for name in given) + tuple(defaults) for row in rows)
    processed = [
        tuple(process(value) for process, value in zip(processors, row, strict=True))
        for row in values
    ]
    names = [column.name for column in columns]
    raw = connection.connection.dbapi_connection
    if dialect.name == "postgresql":
        ids = _sequence_ids(connection, table, len(rows)) if want_ids else []
        if want_ids:
            names.insert(0, "id")
            processed = [(i, *row) for i, row in zip(ids, processed, strict=True)]
        quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
        statement = f"COPY {table.name} ({quoted}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in processed:
                copy.write_row(row)
        return ids
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    cursor = raw.cursor()
    try:
        if not want_ids:
            cursor.executemany(sql, processed)
            return []
        ids = []
        for row in processed:  # sqlite3 in C: a few µs a row, each id as SQLite gave it
            cursor.execute(sql, row)
            ids.append(cursor.lastrowid)
        return ids
    finally:
        cursor.close()


def _default_value(column: sa.Column):
    default = column.default
    return default.arg if default.is_scalar else default.arg(None)


def _processor(column: sa.Column, dialect) -> Callable:
    """The column's bind processing, remembering the last value: a batch's rows share most
    of theirs (the action's time, a new lead's state)."""
    process = column.type._cached_bind_processor(dialect)
    if process is None:
        return _same
    last: list = [object(), None]

    def cached(value):
        if value is not last[0] or value is None:
            last[0], last[1] = value, process(value)
        return last[1]

    return cached


def _same(value):
    return value
