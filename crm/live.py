"""Live reads: the few CRM rows the real-time views need, read from the CRM itself.

Online, Online advanced and the Payment options log must show a login, a deposit attempt or a
decline within seconds; the warehouse is as of the ETL's last run (every 30 s, and an
incremental run at brokerage scale takes seconds of CPU). So these views read, from the CRM:
who is online now (the platform sessions seen in the last 5 minutes, by their indexed
``last_seen_at``) and the deposit attempts changed since the warehouse's snapshot was read (by
their indexed ``updated_at``), and the warehouse gives the rest (sums, last call, ranking).

``SharedReads`` makes each read once per tick however many sessions ask: the first caller of
a tick computes, the others wait for it and get the same rows. The SQL is in
``crm/queries/live_*.sql``; it runs unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from crm.types import Money, UTCDateTime

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
ONLINE_WINDOW = timedelta(minutes=5)  # as mart_lead_priority's online_now

_TIME = pa.timestamp("us", tz="UTC")
_MONEY = pa.decimal128(18, 2)
ONLINE_SCHEMA = pa.schema(
    [
        ("lead_id", pa.int64()),
        ("version", pa.int64()),
        ("lead_name", pa.string()),
        ("country", pa.string()),
        ("time_zone", pa.string()),
        ("status", pa.string()),
        ("desk", pa.string()),
        ("am_id", pa.int64()),
        ("am_name", pa.string()),
        ("is_starred", pa.bool_()),
        ("team_id", pa.int64()),
        ("team_name", pa.string()),
        ("balance", _MONEY),
        ("currency", pa.string()),
        ("usd_rate", pa.decimal128(18, 8)),
        ("online_since", _TIME),
        ("last_seen_at", _TIME),
    ]
)
PAYMENTS_SCHEMA = pa.schema(
    [
        ("deposit_id", pa.int64()),
        ("lead_id", pa.int64()),
        ("lead_name", pa.string()),
        ("am_id", pa.int64()),
        ("am_name", pa.string()),
        ("method", pa.string()),
        ("provider", pa.string()),
        ("status", pa.string()),
        ("decline_reason", pa.string()),
        ("amount", _MONEY),
        ("currency", pa.string()),
        ("amount_usd", _MONEY),
        ("is_ftd", pa.bool_()),
        ("created_at", _TIME),
    ]
)
# How the CRM's columns come back as Python values (SQLite keeps times as text).
_TYPES = {
    pa.timestamp("us", tz="UTC"): UTCDateTime(),
    _MONEY: Money(),
    pa.decimal128(18, 8): sa.Numeric(18, 8, asdecimal=True),
    pa.bool_(): sa.Boolean(),
}


# The times a live read takes: the ETL quarantines a time before 2000 or one that is no time
# (PostgreSQL's infinities, which the driver cannot load; a text on SQLite).
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9999, 12, 31, tzinfo=timezone.utc)
# What a bad value raises when it is made a Python or Arrow value.
_BAD_VALUE = (ValueError, TypeError, ArithmeticError, OverflowError, pa.ArrowException)


@cache
def _statement(name: str, schema: pa.Schema | None) -> sa.TextClause:
    statement = sa.text((QUERIES_DIR / f"{name}.sql").read_text())
    if schema is None:
        return statement
    typed = {field.name: _TYPES[field.type] for field in schema if field.type in _TYPES}
    return statement.columns(**typed)


def _read(engine: sa.Engine, name: str, schema: pa.Schema, **params: datetime) -> list[dict]:
    """The rows of ``crm/queries/<name>.sql`` as ``schema`` types them. A row holding a value
    that is not of its type (written by another program: a text in a money column on SQLite)
    is left out, as the ETL quarantines it, instead of failing the read for every viewer."""
    params = {"earliest": EARLIEST, "latest": LATEST, **params}
    binds = [sa.bindparam(key, type_=UTCDateTime()) for key in params]
    try:
        with engine.connect() as connection:
            rows = connection.execute(_statement(name, schema).bindparams(*binds), params)
            kept = [dict(row) for row in rows.mappings()]
        pa.Table.from_pylist(kept, schema=schema)
        return kept
    except _BAD_VALUE:
        # The slow way, only when some row is bad: each row typed on its own.
        with engine.connect() as connection:
            rows = connection.execute(_statement(name, None).bindparams(*binds), params)
            return _typed_rows(engine.dialect, schema, [dict(row) for row in rows.mappings()])


def _typed_rows(dialect: sa.Dialect, schema: pa.Schema, raw: list[dict]) -> list[dict]:
    """The rows of ``raw`` (as the driver gave them) whose every value takes its type."""
    processors = {
        field.name: _TYPES[field.type].result_processor(dialect, None)
        for field in schema
        if field.type in _TYPES
    }
    kept = []
    for row in raw:
        try:
            for column, process in processors.items():
                if process is not None:
                    row[column] = process(row[column])
            pa.Table.from_pylist([row], schema=schema)
        except _BAD_VALUE:
            continue
        kept.append(row)
    return kept


def online_leads(engine: sa.Engine, now: datetime) -> pa.Table:
    """The leads online at ``now`` (``ONLINE_SCHEMA``): an open platform session seen in the
    5 minutes before, since the earliest login among them."""
    rows = _read(engine, "live_online", ONLINE_SCHEMA, seen_after=now - ONLINE_WINDOW)
    return pa.Table.from_pylist(rows, schema=ONLINE_SCHEMA)


def payments_since(engine: sa.Engine, since: datetime) -> pa.Table:
    """The deposit attempts written or changed at or after ``since`` (``PAYMENTS_SCHEMA``),
    but those the ETL quarantines for their amounts (stg_deposit_attempts' checks), so the
    live log never shows what the warehouse refuses."""
    rows = _read(engine, "live_payments", PAYMENTS_SCHEMA, since=since)
    kept = [
        row
        for row in rows
        if row["amount"] is not None
        and row["amount"] > 0
        and row["amount_usd"] is not None
        and row["amount_usd"] >= 0
    ]
    return pa.Table.from_pylist(kept, schema=PAYMENTS_SCHEMA)


def no_live_rows() -> dict[str, pa.Table]:
    """No live rows, by the names the warehouse's queries read them: for a reader without a
    CRM (a benchmark of the queries alone), which then gets the warehouse's figures as of its
    last run."""
    return {
        "live_online": ONLINE_SCHEMA.empty_table(),
        "live_payments": PAYMENTS_SCHEMA.empty_table(),
    }


@dataclass
class _Entry:
    read_at: float  # time.time() when it was read
    ready: threading.Event
    value: Any = None
    failed: bool = False


class SharedReads:
    """Values computed at most once per ``tick`` seconds per key, shared by every thread.

    A caller that finds the value older than a tick computes it again while the others asking
    for the same key wait for that one result, so N sessions refreshing cost one read. A read
    that fails is not kept: its waiters try again themselves."""

    def __init__(self, tick: float):
        self.tick = tick
        self._lock = threading.Lock()
        self._entries: dict[Hashable, _Entry] = {}

    def get(self, key: Hashable, compute: Callable[[], Any]) -> tuple[Any, float]:
        """(value, when it was read) for ``key``, read by ``compute`` when none is fresh."""
        with self._lock:
            now = time.time()
            entry = self._entries.get(key)
            reading = entry is not None and not entry.ready.is_set()
            if reading or (entry is not None and now - entry.read_at < self.tick):
                mine = False
            else:
                entry = self._entries[key] = _Entry(now, threading.Event())
                self._forget_old(now)
                mine = True
        if not mine:
            entry.ready.wait()
            return self.get(key, compute) if entry.failed else (entry.value, entry.read_at)
        try:
            entry.value = compute()
            entry.read_at = time.time()
        except BaseException:
            entry.failed = True
            with self._lock:
                if self._entries.get(key) is entry:
                    del self._entries[key]
            raise
        finally:
            entry.ready.set()
        return entry.value, entry.read_at

    def _forget_old(self, now: float) -> None:
        # Keys nobody asked for in a while (a filter no one uses any more, an old snapshot).
        stale = [
            key
            for key, entry in self._entries.items()
            if entry.ready.is_set() and now - entry.read_at > 60 * self.tick
        ]
        for key in stale:
            del self._entries[key]
