"""Extraction: CRM tables into DuckDB as streamed Arrow record batches, with bounded memory.

One ``CrmSource`` serves one ETL run. ``land`` writes a table, or only the rows whose
``updated_at`` is at or after ``since``, into a new DuckDB table named like the CRM's, column
for column (the columns come from the SQLAlchemy metadata, never from a list written here).
``keys`` lands only the primary key, for finding deleted rows.

How each CRM database is read (the fastest paths measured here: ``bench/etl_extract.py``):

- PostgreSQL: ADBC (``adbc_driver_postgresql``), which reads ``COPY ... TO STDOUT (FORMAT
  binary)`` straight into Arrow; DuckDB takes the batches as they come. A full read of a big
  table is split into block ranges (``ctid``) read by several connections at once, all in one
  snapshot exported by the first (``pg_export_snapshot``), so the ranges add up to exactly the
  table at one instant, as pg_dump's parallel mode does. Parsing COPY is the client's largest
  cost, and the parallel streams spread it over the cores. An incremental read streams through
  COPY too, with ``since`` written into the query as a timestamp literal (the ``updated_at``
  index serves it): ADBC cannot COPY a query with a bound parameter, and reads such a query's
  whole result into memory at once, over the slower row protocol. An incremental run lands
  many tables one after another, each a short read: ``CrmSource.reading_ahead`` reads the next
  ones on other connections while DuckDB loads the current one (``_ReadAhead``).
- SQLite: ADBC (``adbc_driver_sqlite``), one stream. That driver types each column from the
  first batch it reads, as int64 when that batch holds only NULLs, and then fails on the first
  text value (``leads.callback_at`` is NULL in most leads). So the query starts with one
  template row of typed constants (0 or ''), which the load leaves out; an empty table still
  lands with the right column types. Columns of numeric affinity (NUMERIC, DATE, JSON) are read
  as text, since SQLite keeps what looks like a number in them as an integer or a float.

Both databases land the same DuckDB types, per CRM column type:

==================  =========================  ================================================
CRM column          DuckDB                     on the way
==================  =========================  ================================================
Integer             INTEGER                    SQLite: any value but an integer → NULL
BigInteger          BIGINT                     as Integer
Boolean             BOOLEAN                    SQLite: from 0/1; not an integer → NULL
String, Enum, Text  VARCHAR                    SQLite: a blob as its text; bytes that are not
                                               UTF-8 → U+FFFD (DuckDB refuses to store them)
JSON                JSON                       SQLite: from text; not JSON → NULL
Date                DATE                       SQLite: from 'YYYY-MM-DD'; not a date → NULL
UTCDateTime         TIMESTAMP WITH TIME ZONE   SQLite: from 'YYYY-MM-DD HH:MM:SS.ffffff', read as
                                               UTC whatever DuckDB's TimeZone; text in any other
                                               form → NULL
Money               DECIMAL(18,2)              from text, exact: PostgreSQL sends
                                               ``amount::text`` (ADBC's own conversion of
                                               binary NUMERIC costs more); NaN → NULL; on SQLite
                                               a third decimal is rounded
Numeric(p, s)       DECIMAL(p,s)               as Money; on SQLite from the text of the float
                                               SQLite stored
==================  =========================  ================================================

Values that do not convert land as NULL (``TRY_CAST``) instead of failing the load: staging
then quarantines the rows whose required values are missing. SQLite keeps whatever a program
writes, of any type, in any column: the query reads an integer column's other values as NULL,
since the driver types each column from its first batch and fails the whole read on a later
batch of another type. Typing the SQLite text here costs
less than nothing: DuckDB writes a timestamp faster than the 26 characters spelling it
(measured: 0.7 s instead of 1.0-1.2 s for 0.8 M sessions).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import queue
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import adbc_driver_manager
import adbc_driver_postgresql
import adbc_driver_postgresql.dbapi
import adbc_driver_sqlite
import adbc_driver_sqlite.dbapi
import duckdb
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite as _sqlite_dialect
from sqlalchemy.engine import URL, make_url

from crm.types import SQLITE_TIMESTAMP_FORMAT, UTCDateTime

# Parallel streams for a full read of a big PostgreSQL table. Two saturate these 2-core
# machines; more only add connections (measured: bench/etl_extract.py).
DEFAULT_STREAMS = 2
# Below this a table is read in one stream: a snapshot hand-over costs more than it saves.
PARALLEL_MIN_PAGES = 4096  # 32 MB of heap
# Each stream takes block ranges from a shared list, a few per stream, so one that lands on
# dense or slow blocks does not keep the others waiting at the end.
RANGES_PER_STREAM = 4
# Bounded memory: batches of about this size (ADBC's default, 16 MB, buys no speed here)...
BATCH_BYTES = 4 * 2**20
# The oldest transaction open on the CRM (other than the ETL's own), and the WAL written so far.
HORIZON_SQL = (
    "SELECT least(statement_timestamp(), min(xact_start)), "
    "pg_has_role('pg_read_all_stats', 'USAGE'), pg_current_wal_lsn()::text "
    "FROM pg_stat_activity "
    "WHERE datname = current_database() AND backend_type = 'client backend' "
    "AND pid <> pg_backend_pid() "
    "AND application_name IS DISTINCT FROM current_setting('application_name')"
)
# On a replica: whether it has replayed the primary's WAL up to a position (a literal: ADBC's
# COPY path takes no parameters, and the position is checked before it goes in).
REPLAYED_SQL = "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"
REPLICA_WAIT_S = 30.0
REPLICA_POLL_S = 0.05
# ... and at most this many of them waiting for DuckDB per stream.
BATCHES_AHEAD_PER_STREAM = 2
# Rows per batch from SQLite (the driver's default, 1024, costs a DuckDB call per 1024 rows).
SQLITE_BATCH_ROWS = 65_536
TEMPLATE_COLUMN = "_starboard_template"
VIEW = "_starboard_extract"
_DONE = object()
_SQLITE = _sqlite_dialect.dialect()


class ExtractError(RuntimeError):
    """Reading a CRM table failed; the message names the table."""


class CrmSource:
    """An open connection to the CRM for one ETL run (PostgreSQL or SQLite, from a SQLAlchemy URL).

    Args:
        url: the CRM's SQLAlchemy URL, e.g. ``postgresql+psycopg://user@host/db`` or
            ``sqlite:///data/crm.sqlite``.
        streams: connections reading a big PostgreSQL table at once (ignored for SQLite).
    """

    def __init__(
        self,
        url: URL | str,
        *,
        streams: int = DEFAULT_STREAMS,
        primary: URL | str | None = None,
        replica_wait: float = REPLICA_WAIT_S,
    ):
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        self.streams = max(1, streams)
        self._idle: list[_Connection] = []
        self._ahead: _ReadAhead | None = None
        # A streaming replica of ``primary`` is read (``url``): the horizon is the primary's.
        self.primary = make_url(primary) if primary is not None else None
        self.replica_wait = replica_wait
        self.replica_lag: float | None = None  # seconds the replica was behind, at the last run
        if self.dialect == "postgresql":
            self._uri = _libpq_uri(self.url)
        elif self.dialect == "sqlite":
            if not self.url.database or self.url.database == ":memory:":
                raise ValueError("an in-memory SQLite CRM cannot be read from another connection")
            self._path = Path(self.url.database).resolve()
        else:
            raise ValueError(f"no extraction from a {self.dialect} CRM (PostgreSQL or SQLite)")

    def land(
        self,
        duck: duckdb.DuckDBPyConnection,
        table: sa.Table,
        target: str,
        since: datetime | None = None,
        *,
        into: tuple[str, str] | None = None,
    ) -> int:
        """Stream the rows of ``table`` (all, or those with ``updated_at >= since``) into a new
        DuckDB table ``target`` (created or replaced); return how many rows it holds.

        With ``into=(table, select)`` the rows are not kept as they came: ``target`` is a view
        over the stream while ``select`` (which reads it) is written to ``table``, and the
        count is of the rows written there. A staging model that only maps rows is applied
        on the way in, so a full load writes each row once, not twice."""
        if since is not None:
            _check_since(table, since)
        return self._land(duck, table, list(table.columns), target, since, into)

    @contextlib.contextmanager
    def reading_ahead(self, reads: Iterable[tuple[sa.Table, datetime | None]]) -> Iterator[None]:
        """Within the block, ``land`` calls for these reads (table and ``since``), made in this
        order, find their rows already coming: up to ``streams`` of the changed-row reads are
        under way at once, each holding at most a few batches (bounded memory). Full reads, and
        SQLite (read in this process: nothing to overlap), go on as they are. Reads not landed by
        the end of the block are stopped."""
        changed = [(table, since) for table, since in reads if since is not None]
        if self.dialect != "postgresql" or not changed:
            yield
            return
        for table, since in changed:
            _check_since(table, since)
        ahead = _ReadAhead(
            self,
            [
                (table.name, since, _postgresql_select(table, list(table.columns), since))
                for table, since in changed
            ],
        )
        self._ahead = ahead
        try:
            yield
        finally:
            self._ahead = None
            ahead.close()

    def keys(self, duck: duckdb.DuckDBPyConnection, table: sa.Table, target: str) -> int:
        """Land only the primary-key column(s) of ``table`` into ``target`` (for delete
        detection); return how many keys there are."""
        return self._land(duck, table, list(table.primary_key.columns), target, None)

    def write_horizon(self) -> datetime | None:
        """When the oldest transaction now open on the CRM's database began (now, if none is),
        the ETL's own connections aside; None where the database cannot tell (SQLite, or a
        PostgreSQL role that may not see other sessions: ``pg_read_all_stats``).

        The CRM stamps ``updated_at`` inside the transaction that writes the row, so a row
        committed after this call carries a stamp no older than this (bar clock skew): the
        next incremental run need re-read no further back than here."""
        if self.dialect != "postgresql":
            return None
        if self.primary is not None:
            return self._replica_horizon()
        with self._borrowed() as connection:
            connection.cursor.execute(HORIZON_SQL)
            horizon, sees_all, _ = connection.cursor.fetchone()
        return horizon.astimezone(timezone.utc) if sees_all else None

    def _replica_horizon(self) -> datetime | None:
        """The primary's horizon, once the replica has replayed all the primary had written
        when it was taken: a row the replica lacks then was committed after, so stamped no
        earlier. Waits up to ``replica_wait`` s (the lag is noted in ``replica_lag``); a replica
        further behind fails the run, whose data would be older than it says."""
        primary = _PostgresConnection(_libpq_uri(self.primary))
        try:
            primary.cursor.execute(HORIZON_SQL)
            horizon, sees_all, position = primary.cursor.fetchone()
        finally:
            primary.close()
        started = time.monotonic()
        while True:
            with self._borrowed() as connection:
                connection.cursor.execute(REPLAYED_SQL.format(lsn=_lsn(str(position))))
                in_recovery, replayed = connection.cursor.fetchone()
            waited = time.monotonic() - started
            if not in_recovery:
                raise ExtractError(f"CRM_REPLICA_URL {self.url.host}:{self.url.port} is no replica")
            if replayed:
                self.replica_lag = waited
                break
            if waited > self.replica_wait:
                self.replica_lag = waited
                raise ExtractError(
                    f"the CRM's replica is more than {self.replica_wait:g} s behind its primary: "
                    "run skipped (its data would be older than the run says)"
                )
            time.sleep(REPLICA_POLL_S)
        return horizon.astimezone(timezone.utc) if sees_all else None

    def close(self) -> None:
        if self._ahead is not None:
            self._ahead.close()
        while self._idle:
            self._idle.pop().close()

    def __enter__(self) -> CrmSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- one table -----------------------------------------------------------------------------

    def _land(self, duck, table, columns, target, since, into=None) -> int:
        try:
            if self.dialect == "postgresql":
                return self._land_postgresql(duck, table, columns, target, since, into)
            return self._land_sqlite(duck, table, columns, target, since, into)
        # ADBC's errors come as its own, or as pyarrow's when they happen mid-stream.
        except (duckdb.Error, adbc_driver_manager.Error, pa.ArrowException, OSError) as error:
            raise ExtractError(
                f"landing CRM table {table.name} into {target} failed: {error}"
            ) from error

    def _land_postgresql(self, duck, table, columns, target, since, into) -> int:
        select = _postgresql_select(table, columns, since)
        casts = [_postgresql_cast(c) for c in columns]
        if since is not None:
            ahead = self._ahead.take(table.name, since) if self._ahead else None
            if ahead is not None:
                return self._load(
                    duck, target, casts, ahead.reader(), into=into, cause=lambda: ahead.error
                )
            with self._borrowed() as connection:
                connection.cursor.execute(select)
                return self._load(
                    duck, target, casts, connection.cursor.fetch_record_batch(), into=into
                )
        connections = [self._connection()]
        try:
            lead = connections[0]
            # The first statement fixes this transaction's snapshot; the size is read in it.
            lead.cursor.execute(
                "SELECT pg_export_snapshot(), "
                "pg_relation_size($1::regclass) / current_setting('block_size')::bigint",
                (_quote(table.name),),
            )
            snapshot, pages = lead.cursor.fetchone()
            ranges = _block_ranges(pages, self.streams)
            while len(connections) < min(self.streams, len(ranges)):
                other = self._connection()
                connections.append(other)
                other.cursor.execute("SET TRANSACTION SNAPSHOT '" + snapshot + "'")
            queries = [f"{select} WHERE {condition}" for condition in ranges]
            if len(queries) == 1:  # the whole table in one stream, no Python in the way
                lead.cursor.execute(queries[0])
                rows = self._load(duck, target, casts, lead.cursor.fetch_record_batch(), into=into)
            else:
                streams = _ParallelReader(connections, queries)
                try:
                    rows = self._load(
                        duck,
                        target,
                        casts,
                        streams.reader(),
                        into=into,
                        cause=lambda: streams.errors[0] if streams.errors else None,
                    )
                finally:
                    streams.close()
            for connection in connections:
                connection.finish()
        except BaseException:
            for connection in connections:
                connection.close()
            raise
        self._idle.extend(connections)
        return rows

    def _land_sqlite(self, duck, table, columns, target, since, into) -> int:
        query = _sqlite_select(table, columns, since=since is not None)
        params = None
        if since is not None:
            params = (since.astimezone(timezone.utc).strftime(SQLITE_TIMESTAMP_FORMAT),)
        with self._borrowed() as connection:
            connection.cursor.execute(query, params)
            casts = [_sqlite_cast(c) for c in columns]
            return self._load(
                duck,
                target,
                casts,
                _valid_utf8(connection.cursor.fetch_record_batch()),
                where=f"{TEMPLATE_COLUMN} = 0",
                into=into,
            )

    def _load(
        self,
        duck,
        target,
        casts,
        batches: pa.RecordBatchReader,
        where: str | None = None,
        into=None,
        cause: Callable[[], BaseException | None] | None = None,
    ) -> int:
        """``CREATE OR REPLACE TABLE target AS SELECT casts FROM batches`` (or, with ``into``,
        the view ``target`` and its table): DuckDB pulls the batches as it writes, so only a
        few are in memory at any time. Where the batches come from threads, ``cause`` gives
        the error a failed one met: raised instead of DuckDB's report of it."""
        select = f"SELECT {', '.join(casts)} FROM {VIEW}" + (f" WHERE {where}" if where else "")
        landed = _quote_target(target)
        restore = _fast_bulk_load(duck)
        duck.register(VIEW, batches)
        try:
            if into is None:
                [(count,)] = duck.execute(
                    f"CREATE OR REPLACE TABLE {landed} AS {select}"
                ).fetchall()
            else:
                table, query = into
                duck.execute(f"CREATE OR REPLACE VIEW {landed} AS {select}")
                create = f"CREATE OR REPLACE TABLE {_quote_target(table)} AS {query}"
                [(count,)] = duck.execute(create).fetchall()
                duck.execute(f"DROP VIEW {landed}")
        except BaseException as error:
            # A failed statement aborts the caller's transaction, which then refuses these too;
            # its rollback drops the view anyway. The original error is the one to see.
            with contextlib.suppress(duckdb.Error):
                duck.unregister(VIEW)
                restore()
            behind = cause() if cause is not None and isinstance(error, duckdb.Error) else None
            if behind is not None:
                raise behind from None
            raise
        duck.unregister(VIEW)
        restore()
        return count

    @contextlib.contextmanager
    def _borrowed(self) -> Iterator[_Connection]:
        """A connection for one read: its transaction ended and the connection kept for the
        next read when the read is done, closed when it failed (it may be broken)."""
        connection = self._connection()
        try:
            yield connection
            connection.finish()
        except BaseException:
            connection.close()
            raise
        self._idle.append(connection)

    def _connection(self) -> _Connection:
        # Read-ahead threads take connections too: pop, not a test and a pop.
        with contextlib.suppress(IndexError):
            return self._idle.pop()
        if self.dialect == "postgresql":
            return _PostgresConnection(self._uri)
        return _SqliteConnection(self._path)


# -- connections ---------------------------------------------------------------------------------


class _Connection:
    def __init__(self, dbapi_connection):
        self.connection = dbapi_connection
        self.cursor = dbapi_connection.cursor()

    def finish(self) -> None:
        """End the read: the snapshot and any cursor go, the connection stays for reuse."""
        self.connection.rollback()

    def close(self) -> None:
        # Best effort: the connection may already be broken, which is why it is being closed.
        with contextlib.suppress(Exception):
            self.cursor.close()
        with contextlib.suppress(Exception):
            self.connection.close()


class _PostgresConnection(_Connection):
    def __init__(self, uri: str):
        # ADBC then runs every statement in a transaction it begins itself (autocommit off):
        # the snapshot hand-over needs one.
        super().__init__(adbc_driver_postgresql.dbapi.connect(uri, autocommit=False))
        batch_bytes = adbc_driver_postgresql.StatementOptions.BATCH_SIZE_HINT_BYTES.value
        self.cursor.adbc_statement.set_options(**{batch_bytes: str(BATCH_BYTES)})
        self.cursor.execute(
            "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
        )
        # JIT compiles each range query's expressions, for a plain scan that gains nothing.
        self.cursor.execute("SET jit = off")
        self.connection.commit()


class _SqliteConnection(_Connection):
    def __init__(self, path: Path):
        uri = f"{path.as_uri()}?mode=ro"  # the ETL never writes to the CRM
        super().__init__(adbc_driver_sqlite.dbapi.connect(uri, autocommit=True))
        self.cursor.adbc_statement.set_options(
            **{adbc_driver_sqlite.StatementOptions.BATCH_ROWS.value: str(SQLITE_BATCH_ROWS)}
        )

    def finish(self) -> None:
        pass  # autocommit: each SELECT was its own read transaction


# -- parallel streams ----------------------------------------------------------------------------


class _ParallelReader:
    """The batches of several queries, each connection in its own thread taking the next query
    when done with one, handed to DuckDB through a bounded queue (bounded memory)."""

    def __init__(self, connections: list[_Connection], queries: list[str]):
        self.pending = queue.SimpleQueue()
        first = connections[0].cursor
        first.execute(queries[0])
        leading = first.fetch_record_batch()
        self.schema = leading.schema
        for query in queries[1:]:
            self.pending.put(query)
        self.out: queue.Queue = queue.Queue(maxsize=BATCHES_AHEAD_PER_STREAM * len(connections))
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.threads = [
            threading.Thread(
                target=self._read,
                args=(c.cursor, leading if i == 0 else None),
                name=f"starboard-extract-{i}",
                daemon=True,
            )
            for i, c in enumerate(connections)
        ]
        for thread in self.threads:
            thread.start()

    def _read(self, cursor, reader) -> None:
        try:
            while not self.stop.is_set():
                if reader is None:
                    try:
                        query = self.pending.get_nowait()
                    except queue.Empty:
                        return
                    cursor.execute(query)
                    reader = cursor.fetch_record_batch()
                for batch in reader:  # pyarrow lets go of the GIL while ADBC reads and parses
                    if not self._put(batch):
                        return
                reader = None
        except BaseException as error:
            self.errors.append(error)
        finally:
            self._put(_DONE)

    def _put(self, item) -> bool:
        return _put_unless_stopped(self.out, item, self.stop)

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(self.schema, self._batches())

    def _batches(self) -> Iterator[pa.RecordBatch]:
        running = len(self.threads)
        while running:
            item = self.out.get()
            if item is _DONE:
                running -= 1
                if self.errors:
                    raise RuntimeError(f"a CRM read stream failed: {self.errors[0]}")
                continue
            yield item

    def close(self) -> None:
        """Stop the threads (at once if DuckDB gave up early) and wait for them."""
        self.stop.set()
        for thread in self.threads:
            thread.join()


class _AheadRead:
    """One changed-row read of ``_ReadAhead``: its batches, handed over through a small queue."""

    def __init__(self, table: str, since: datetime, query: str):
        self.table, self.since, self.query = table, since, query
        self.schema: pa.Schema | None = None
        self.error: BaseException | None = None
        self.started = threading.Event()  # the schema (or the error) is known
        self.out: queue.Queue = queue.Queue(maxsize=BATCHES_AHEAD_PER_STREAM)

    def reader(self) -> pa.RecordBatchReader:
        self.started.wait()
        if self.error is not None:
            raise self.error

        def drain() -> Iterator[pa.RecordBatch]:
            while (item := self.out.get()) is not _DONE:
                yield item
            if self.error is not None:
                raise RuntimeError(f"the read of {self.table} failed: {self.error}")

        return pa.RecordBatchReader.from_batches(self.schema, drain())


class _ReadAhead:
    """Changed-row reads of several tables, in the order they will be landed, run by up to
    ``source.streams`` threads, each on a connection of its own: PostgreSQL finds and sends
    the next tables' rows while DuckDB writes the current one's. A thread takes the next read
    not yet started when it is done with one, and waits when the read's few batches are not
    taken yet, so memory stays bounded whatever the tables hold."""

    def __init__(self, source: CrmSource, reads: list[tuple[str, datetime, str]]):
        self.source = source
        self.reads = [_AheadRead(*read) for read in reads]
        self.taken = 0
        self.lock = threading.Lock()
        self.started = 0
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._work, name=f"starboard-ahead-{i}", daemon=True)
            for i in range(min(source.streams, len(self.reads)))
        ]
        for thread in self.threads:
            thread.start()

    def take(self, table: str, since: datetime) -> _AheadRead | None:
        """The read of ``table`` if it is the next one planned, as planned; otherwise the plan
        no longer holds: every read ahead stops and the caller reads for itself."""
        if self.taken < len(self.reads):
            read = self.reads[self.taken]
            if (read.table, read.since) == (table, since):
                self.taken += 1
                return read
        self.close()
        return None

    def _work(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                if self.started == len(self.reads):
                    return
                read = self.reads[self.started]
                self.started += 1
            if not self._read(read):
                return

    def _read(self, read: _AheadRead) -> bool:
        try:
            with self.source._borrowed() as connection:
                connection.cursor.execute(read.query)
                reader = connection.cursor.fetch_record_batch()
                read.schema = reader.schema
                read.started.set()
                for batch in reader:  # pyarrow lets go of the GIL while ADBC reads and parses
                    if not self._put(read, batch):
                        raise _Stopped  # mid-COPY: the connection is closed, not kept
        except _Stopped:
            return False
        except BaseException as error:
            read.error = error
            read.started.set()
            self._put(read, _DONE)
            return False
        return self._put(read, _DONE)

    def _put(self, read: _AheadRead, item) -> bool:
        return _put_unless_stopped(read.out, item, self.stop)

    def close(self) -> None:
        """Stop the threads and wait for them; reads not taken are dropped."""
        self.stop.set()
        for thread in self.threads:
            thread.join()
        self.taken = len(self.reads)


class _Stopped(Exception):
    """A read ahead given up by its reader."""


def _put_unless_stopped(out: queue.Queue, item, stop: threading.Event) -> bool:
    """Put ``item`` in the bounded queue ``out``, waiting for room, unless ``stop`` is set
    first (the reader gave up): then False."""
    while not stop.is_set():
        try:
            out.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _valid_utf8(reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
    """The batches, with text that is not UTF-8 mended. SQLite keeps any bytes a program writes
    as text, and DuckDB refuses to store such a value, failing the whole run: each byte that
    does not decode becomes U+FFFD, as a browser would show it. (PostgreSQL checks its text.)"""
    strings = [i for i, field in enumerate(reader.schema) if pa.types.is_string(field.type)]

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            try:
                batch.validate(full=True)
            except pa.ArrowInvalid:
                batch = _mend_utf8(batch, strings)
            yield batch

    return pa.RecordBatchReader.from_batches(reader.schema, batches()) if strings else reader


def _mend_utf8(batch: pa.RecordBatch, strings: list[int]) -> pa.RecordBatch:
    for index in strings:
        column = batch.column(index)
        try:
            column.validate(full=True)
        except pa.ArrowInvalid:
            raw = column.cast(pa.binary()).to_pylist()
            mended = [None if v is None else v.decode("utf-8", "replace") for v in raw]
            batch = batch.set_column(
                index, batch.schema.field(index), pa.array(mended, pa.string())
            )
    return batch


def _block_ranges(pages: int, streams: int) -> list[str]:
    """``ctid`` conditions that split a table of ``pages`` blocks into ranges for ``streams``
    readers; the last range is open so that no row is left out, whatever the size."""
    if streams == 1 or pages < PARALLEL_MIN_PAGES:
        return ["true"]
    count = streams * RANGES_PER_STREAM
    step = math.ceil(pages / count)
    bounds = [i * step for i in range(1, count)]
    ranges = [f"ctid < '({bounds[0]},0)'::tid"]
    ranges += [
        f"ctid >= '({lo},0)'::tid AND ctid < '({hi},0)'::tid"
        for lo, hi in itertools.pairwise(bounds)
    ]
    ranges.append(f"ctid >= '({bounds[-1]},0)'::tid")
    return ranges


# -- SQL pieces ----------------------------------------------------------------------------------


def _postgresql_select(
    table: sa.Table, columns: list[sa.Column], since: datetime | None = None
) -> str:
    """The query for ``columns`` of ``table``; with ``since``, of the rows whose ``updated_at``
    is at or after it (a range the index on ``updated_at`` serves). ``since`` is written as a
    literal, not bound (see module doc): the text of an aware datetime's ``isoformat`` is
    digits and separators only."""
    values = ", ".join(_postgresql_column(c) for c in columns)
    query = f"SELECT {values} FROM {_quote(table.name)}"
    if since is None:
        return query
    stamp = since.astimezone(timezone.utc).isoformat()
    return f"{query} WHERE updated_at >= '{stamp}'::timestamptz"


def _check_since(table: sa.Table, since: datetime) -> None:
    if "updated_at" not in table.columns:
        raise ValueError(f"{table.name} has no updated_at to read changes by")
    if since.tzinfo is None:
        raise ValueError(f"naive datetime {since!r}: pass a timezone-aware (UTC) time")


def _postgresql_column(column: sa.Column) -> str:
    name = _quote(column.name)
    if _decimal_type(column.type):
        # ADBC turns binary NUMERIC into text itself, at a cost several times PostgreSQL's own
        # numeric_out (measured: 1.0 s of client CPU saved for 0.3 s of server CPU per 2.6 M
        # amounts). The text is exact either way.
        return f"{name}::text AS {name}"
    return name


def _sqlite_select(table: sa.Table, columns: list[sa.Column], since: bool = False) -> str:
    """The query for ``columns`` of ``table`` behind a template row of typed constants that
    fixes the driver's column types (see module doc); with ``since``, of the rows whose
    ``updated_at`` text is at or after the parameter (fixed-width UTC text sorts as time)."""
    template = ", ".join(f"{_sqlite_template(c)} AS {_quote(c.name)}" for c in columns)
    values = ", ".join(_sqlite_column(c) for c in columns)
    query = (
        f"SELECT 1 AS {TEMPLATE_COLUMN}, {template} "
        f"UNION ALL SELECT 0, {values} FROM {_quote(table.name)}"
    )
    return query + (" WHERE updated_at >= ?" if since else "")


def _stored_type(column: sa.Column, dialect) -> sa.types.TypeEngine:
    """The type the database itself holds the column in (``Money`` is text on SQLite)."""
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):
        return kind.load_dialect_impl(dialect)
    return kind


def _postgresql_cast(column: sa.Column) -> str:
    name = _quote(column.name)
    decimal = _decimal_type(column.type)
    return f"TRY_CAST({name} AS {decimal}) AS {name}" if decimal else name


def _sqlite_column(column: sa.Column) -> str:
    name = _quote(column.name)
    kind = _stored_type(column, _SQLITE)
    if isinstance(kind, sa.Integer | sa.Boolean):
        if column.primary_key:  # the rowid: an integer, always
            return name
        # SQLite keeps whatever another program writes (text, a real, a blob), and the driver
        # fails the whole read on a batch whose type differs from the first one's: any value
        # but an integer is read as NULL, and staging quarantines the row.
        return f"CASE WHEN typeof({name}) = 'integer' THEN {name} END"
    # Text, blobs a program wrote into a text column among it (which would make the batch
    # binary), and the columns of numeric affinity (NUMERIC, DATE, JSON), where SQLite keeps
    # what looks like a number as an integer or a float: all as text, one type again.
    return f"CAST({name} AS TEXT)"


def _sqlite_template(column: sa.Column) -> str:
    return "0" if isinstance(column.type, sa.Integer | sa.Boolean) else "''"


def _sqlite_cast(column: sa.Column) -> str:
    """DuckDB's reading of a SQLite value: the same type PostgreSQL's lands in."""
    name = _quote(column.name)
    kind = column.type
    if isinstance(kind, UTCDateTime):
        # Only the CRM's one text form (crm.types), taken as UTC: the session's TimeZone and
        # any offset a foreign writer appended cannot shift the instant.
        return f"try_strptime({name}, '{SQLITE_TIMESTAMP_FORMAT}') AT TIME ZONE 'UTC' AS {name}"
    decimal = _decimal_type(kind)
    if decimal:
        return f"TRY_CAST({name} AS {decimal}) AS {name}"
    for generic, duck_type in _SQLITE_CASTS:
        if isinstance(kind, generic):
            return f"TRY_CAST({name} AS {duck_type}) AS {name}"
    return name


# First match wins: BigInteger and Boolean before Integer.
_SQLITE_CASTS = (
    (sa.BigInteger, "BIGINT"),
    (sa.Boolean, "BOOLEAN"),
    (sa.Integer, "INTEGER"),
    (sa.Date, "DATE"),
    (sa.JSON, "JSON"),
)


def _decimal_type(kind: sa.types.TypeEngine) -> str | None:
    """``DECIMAL(p,s)`` for an exact numeric column (``Money`` included), else None."""
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
        return f"DECIMAL({kind.precision or 18},{kind.scale or 0})"
    return None


def _fast_bulk_load(duck: duckdb.DuckDBPyConnection):
    """Let DuckDB write batches in any order: half the load time, and a file half the size."""
    # fetchall, not fetchone: DuckDB refuses other work while a result is not read to its end.
    [(keep,)] = duck.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    if not keep:
        return lambda: None
    duck.execute("SET preserve_insertion_order = false")
    return lambda: duck.execute("SET preserve_insertion_order = true")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_target(target: str) -> str:
    """``schema.table`` or ``table``, each part quoted."""
    return ".".join(_quote(part) for part in target.split("."))


def _lsn(text: str) -> str:
    # A WAL position as PostgreSQL writes it (hex/hex): checked, as it goes into the query text.
    if not re.fullmatch(r"[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}", text or ""):
        raise ExtractError(f"not a WAL position: {text!r}")
    return text


def _libpq_uri(url: URL) -> str:
    """The SQLAlchemy URL as libpq takes it (no ``+driver``), named in pg_stat_activity."""
    query = dict(url.query)
    query.setdefault("application_name", "starboard-etl")
    query.setdefault("connect_timeout", "10")
    return url.set(drivername="postgresql", query=query).render_as_string(hide_password=False)
