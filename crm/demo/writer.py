"""Bulk writes for the demo: COPY on PostgreSQL, executemany on SQLite, all in one transaction.

The demo writes tens of millions of rows; the ORM would spend hours on them. Rows arrive as
Arrow tables shaped by ``crm.arrow.arrow_schema`` and go to the database in the fastest form it
takes: CSV through ``COPY ... FROM STDIN`` on PostgreSQL, typed tuples on SQLite.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa

from crm.arrow import MONEY, TIMESTAMP, arrow_schema
from crm.types import SQLITE_TIMESTAMP_FORMAT


class BulkWriter(ABC):
    """Writes whole tables of rows inside a single transaction; ``commit`` or ``rollback``."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.rows: Counter[str] = Counter()
        self._raw = engine.raw_connection()
        self._connection = self._raw.driver_connection

    @staticmethod
    def open(engine: sa.Engine) -> BulkWriter:
        if engine.dialect.name == "postgresql":
            return PostgresWriter(engine)
        return SqliteWriter(engine)

    def arrow_table(self, table: sa.Table, columns: Mapping[str, object]) -> pa.Table:
        """``columns`` as an Arrow table of ``table``'s types; absent nullable columns are NULL."""
        schema = arrow_schema(table)
        length = len(next(iter(columns.values())))
        arrays = []
        for field in schema:
            if field.name in columns:
                value = columns[field.name]
                array = value if isinstance(value, pa.Array) else pa.array(value, type=field.type)
                arrays.append(array.cast(field.type) if array.type != field.type else array)
            elif field.nullable:
                arrays.append(pa.nulls(length, type=field.type))
            else:
                raise KeyError(f"{table.name}.{field.name} is required")
        return pa.Table.from_arrays(arrays, schema=schema)

    def defer_indexes(self, tables: list[sa.Table]) -> None:
        """Drop the secondary indexes (and on PostgreSQL the foreign keys) of ``tables``;
        ``finish`` builds them again, once, over all the rows, which is many times faster than
        keeping them up to date row by row. Inside the transaction, so a failure restores them.
        """
        self._deferred = tables
        for table in tables:
            for index in table.indexes:
                self._execute(f'DROP INDEX "{index.name}"')
            if self.engine.dialect.name == "postgresql":
                for fk in table.foreign_key_constraints:
                    self._execute(f'ALTER TABLE "{table.name}" DROP CONSTRAINT "{fk.name}"')

    def _restore_indexes(self) -> None:
        dialect = self.engine.dialect
        for table in getattr(self, "_deferred", []):
            for index in table.indexes:
                self._execute(str(sa.schema.CreateIndex(index).compile(dialect=dialect)))
            if dialect.name == "postgresql":
                # Re-adding a foreign key checks every row at once, so integrity still holds.
                for fk in table.foreign_key_constraints:
                    self._execute(str(sa.schema.AddConstraint(fk).compile(dialect=dialect)))

    def _execute(self, sql: str) -> None:
        cursor = self._connection.cursor()
        cursor.execute(sql)
        cursor.close()

    def write(self, table: sa.Table, columns: Mapping[str, object]) -> None:
        data = self.arrow_table(table, columns)
        if data.num_rows:
            self._write(table, data)
            self.rows[table.name] += data.num_rows

    @abstractmethod
    def _write(self, table: sa.Table, data: pa.Table) -> None:
        """Append ``data`` to ``table`` in the open transaction."""

    def finish(self, tables: list[sa.Table]) -> None:
        """Called once before commit, after the last write."""
        self._restore_indexes()

    def commit(self) -> None:
        self._raw.commit()
        self._raw.close()

    def rollback(self) -> None:
        self._raw.rollback()
        self._raw.close()


class PostgresWriter(BulkWriter):
    def __init__(self, engine: sa.Engine):
        super().__init__(engine)
        with self._connection.cursor() as cursor:
            # Safe for a bulk load that commits once: a crash rolls it all back anyway.
            cursor.execute("SET LOCAL synchronous_commit = off")

    def _write(self, table: sa.Table, data: pa.Table) -> None:
        buffer = io.BytesIO()
        pacsv.write_csv(data, buffer, pacsv.WriteOptions(include_header=False))
        columns = ", ".join(f'"{name}"' for name in data.column_names)
        statement = f'COPY "{table.name}" ({columns}) FROM STDIN (FORMAT csv)'
        with self._connection.cursor() as cursor, cursor.copy(statement) as copy:
            copy.write(buffer.getbuffer())

    def finish(self, tables: list[sa.Table]) -> None:
        super().finish(tables)
        # Rows came with their ids: move each id sequence past them for later inserts.
        with self._connection.cursor() as cursor:
            for table in tables:
                key = list(table.primary_key.columns)
                if (
                    len(key) == 1
                    and key[0].autoincrement is not False
                    and isinstance(key[0].type, sa.Integer)
                ):
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key[0].name}'), "
                        f'coalesce(max("{key[0].name}"), 0) + 1, false) FROM "{table.name}"'
                    )
            cursor.execute("ANALYZE")


class SqliteWriter(BulkWriter):
    def __init__(self, engine: sa.Engine):
        super().__init__(engine)
        self._connection.execute("BEGIN IMMEDIATE")

    def _write(self, table: sa.Table, data: pa.Table) -> None:
        columns = [self._sqlite_values(data.column(i)) for i in range(data.num_columns)]
        names = ", ".join(f'"{name}"' for name in data.column_names)
        marks = ", ".join("?" * data.num_columns)
        self._connection.executemany(
            f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', zip(*columns, strict=True)
        )

    @staticmethod
    def _sqlite_values(column: pa.ChunkedArray) -> list:
        """The values as ``crm.types`` stores them on SQLite: text times and text money."""
        if column.type == TIMESTAMP:
            column = pc.strftime(column, format=SQLITE_TIMESTAMP_FORMAT.replace(".%f", ""))
        elif column.type == MONEY or pa.types.is_date(column.type):
            column = column.cast(pa.string())
        elif pa.types.is_decimal(column.type):
            column = column.cast(pa.float64())
        return column.to_pylist()

    def finish(self, tables: list[sa.Table]) -> None:
        super().finish(tables)
        # Statistics for the query planner, as PostgreSQL gets: without them SQLite may scan
        # a whole table for an ORDER BY id.
        self._connection.execute("ANALYZE")

    def commit(self) -> None:
        self._connection.execute("COMMIT")
        self._raw.close()

    def rollback(self) -> None:
        self._connection.execute("ROLLBACK")
        self._raw.close()
