"""Reading the warehouse while the ETL publishes new snapshots under it.

A ``Warehouse`` follows the ``WAREHOUSE_PATH`` link: each query runs on the newest snapshot
published when it starts, and a snapshot stays open until the last query on it has finished.
Every snapshot has a file name of its own, so DuckDB's per-process cache of open databases
can never hand back an old one for a new path.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa

from crm.errors import UserError
from warehouse import QUERIES_DIR, WarehousePaths, warehouse_paths


class WarehouseMissing(UserError):
    """No snapshot has been published yet."""


@dataclass
class _Snapshot:
    path: str
    database: duckdb.DuckDBPyConnection
    readers: int = 0
    retired: bool = False


@cache
def query_sql(name: str) -> str:
    """The text of ``warehouse/queries/<name>.sql``."""
    return (QUERIES_DIR / f"{name}.sql").read_text()


class Warehouse:
    """Read-only access to the current snapshot; safe to share between threads."""

    def __init__(self, paths: WarehousePaths | None = None):
        self.paths = paths or warehouse_paths()
        self._lock = threading.Lock()
        self._current: _Snapshot | None = None

    def _newest(self) -> str:
        target = os.path.realpath(self.paths.link)
        if not Path(target).is_file():
            raise WarehouseMissing(
                f"no warehouse at {self.paths.link} yet: run `python -m etl run` to build it"
            )
        return target

    def _acquire(self) -> _Snapshot:
        with self._lock:
            target = self._newest()
            if self._current is None or self._current.path != target:
                try:
                    database = duckdb.connect(target, read_only=True)
                except duckdb.IOException:
                    # Removed between reading the link and opening it: a newer one is there.
                    target = self._newest()
                    database = self._open(target)
                database.execute("SET TimeZone = 'UTC'").fetchall()
                if self._current is not None:
                    self._retire(self._current)
                self._current = _Snapshot(target, database)
            self._current.readers += 1
            return self._current

    def _open(self, target: str) -> duckdb.DuckDBPyConnection:
        """The snapshot ``target``, read-only; ``WarehouseMissing`` when it is no DuckDB file
        (WAREHOUSE_PATH naming another file), as for no warehouse at all: a page says so."""
        try:
            return duckdb.connect(target, read_only=True)
        except duckdb.IOException as error:
            reason = str(error).strip().splitlines()[0]
            raise WarehouseMissing(
                f"no warehouse at {self.paths.link} ({reason}): point WAREHOUSE_PATH at a new "
                "name and run `python -m etl run` to build it there"
            ) from None

    def _release(self, snapshot: _Snapshot) -> None:
        with self._lock:
            snapshot.readers -= 1
            if snapshot.retired and snapshot.readers == 0:
                snapshot.database.close()

    @staticmethod
    def _retire(snapshot: _Snapshot) -> None:
        # Close only when the last query on it is done: closing under a query breaks it.
        snapshot.retired = True
        if snapshot.readers == 0:
            snapshot.database.close()

    @contextmanager
    def cursor(self):
        """A cursor on the newest snapshot, held for the duration of the ``with`` block."""
        snapshot = self._acquire()
        cursor = snapshot.database.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
            self._release(snapshot)

    def sql(
        self,
        query: str,
        params: dict | list | None = None,
        tables: dict[str, pa.Table] | None = None,
    ) -> pa.Table:
        with self.cursor() as cursor:
            # Rows from outside the snapshot (the CRM's live rows), by name, for this query only.
            for name, table in (tables or {}).items():
                cursor.register(name, table)
            return cursor.sql(query, params=params).to_arrow_table()

    def query(self, name: str, tables: dict[str, pa.Table] | None = None, **params) -> pa.Table:
        """Run ``warehouse/queries/<name>.sql`` with named ``$parameters``; ``tables`` are
        Arrow tables the query reads by name (``live_online``, ``live_payments``)."""
        return self.sql(query_sql(name), params or None, tables)

    def snapshot_path(self) -> str:
        return self._newest()

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._retire(self._current)
                self._current = None
