"""An import: every row of a file checked as the ingest API checks it, then written through
the same actions, all in one transaction.

Nothing of a failed import stays: the transaction is committed only at the end, and only when
the import is not a dry run and (``all_or_nothing``) no row was invalid. A dry run does the
whole import and rolls it back, so its report (new, duplicate, invalid with the reason, per
row) is exactly what the import would do.
"""

from __future__ import annotations

import csv
import io
import itertools
import multiprocessing
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa

from crm import actions
from crm.actions import ActionRefused, FieldRefused, event_action_id, new_action_id
from crm.ingest.validation import CLEANERS, Context, Invalid, field_words, in_words
from crm.models import Currency, InboxEvent, utcnow

BATCH = 1_000  # leads per registration action (the action layer's bulk limit)
# Checking rows in other processes pays from a few thousand rows on: each starts in ~1 s.
CHECK_CHUNK = 2_000
CHECK_WINDOW = 2  # chunks in flight per checking process: memory stays bounded
FIRST_ROW = 2  # row 1 holds the column names, as a spreadsheet numbers them
INBOX = InboxEvent.__table__


@dataclass(frozen=True)
class RowOutcome:
    row: int
    outcome: str  # new, duplicate or invalid
    key: str  # the row's external id, transaction or call id, as far as it could be read
    reason: str = ""
    record_id: int | None = None  # the lead, deposit or call in the CRM


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    written: bool = False
    rows: list[RowOutcome] = field(default_factory=list)

    def counts(self) -> Counter:
        return Counter(row.outcome for row in self.rows)

    def invalid(self) -> list[RowOutcome]:
        return [row for row in self.rows if row.outcome == "invalid"]

    def summary(self) -> str:
        counts = self.counts()
        parts = f"{counts['new']:,} new, {counts['duplicate']:,} duplicate, " + (
            f"{counts['invalid']:,} invalid"
        )
        if self.dry_run:
            return f"dry run of {len(self.rows):,} rows: {parts}; nothing was written."
        if not self.written:
            return f"{len(self.rows):,} rows: {parts}; nothing was written (an invalid row)."
        return f"{len(self.rows):,} rows imported: {parts}."

    def csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["row", "outcome", "key", "record_id", "reason"])
        for row in self.rows:
            writer.writerow([row.row, row.outcome, row.key, row.record_id or "", row.reason])
        return out.getvalue()


def run_import(
    engine: sa.Engine,
    kind: str,
    rows: Iterable[dict],
    *,
    source: str | None = None,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    actor_id: int | None = None,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
    checkers: int = 0,
) -> ImportReport:
    """Import ``rows`` (``{field: raw value}``, from ``crm.ingest.files.mapped_rows``) of
    ``kind`` (lead, deposit, call) as ``actor_id`` (None: the command line).

    ``checkers``: processes that check rows while this one writes (a file of more than two
    chunks only; 0: every row checked here). The rows reach the writer in the file's order
    either way, so the outcome is the same."""
    now = now or utcnow()
    report = ImportReport(kind, dry_run)
    connection = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    with connection, _planned_each_time(connection):
        transaction = connection.begin()
        try:
            currencies = frozenset(connection.scalars(sa.select(Currency.code)))
            context = Context(now=now, currencies=currencies, source=source)
            writer = _Writer(connection, kind, report, actor_id, now)
            for number, raw, record, reason in _checked(kind, rows, context, checkers):
                if record is not None:
                    writer.add(number, record, raw)
                else:
                    report.rows.append(RowOutcome(number, "invalid", _key(kind, raw), reason))
                if progress and (number - FIRST_ROW + 1) % BATCH == 0:
                    progress(number - FIRST_ROW + 1)
            writer.flush()
            keep = not dry_run and not (all_or_nothing and report.invalid())
            if keep:
                transaction.commit()
                report.written = True
            else:
                transaction.rollback()
        except BaseException:
            transaction.rollback()
            raise
    report.rows.sort(key=lambda row: row.row)
    if not report.written:
        # A rolled-back row's id names nobody, and soon someone else: a new row that was not
        # written has none (a duplicate's is the record that was already there).
        report.rows = [
            replace(row, record_id=None) if row.outcome == "new" else row for row in report.rows
        ]
    if report.written and kind == "lead":
        _apply_waiting(engine, [row.record_id for row in report.rows if row.outcome == "new"])
    return report


@contextmanager
def _planned_each_time(connection: sa.Connection) -> Iterator[None]:
    """No server-side prepared statements on PostgreSQL for the import's connection.

    psycopg prepares a statement run five times; PostgreSQL then soon keeps one generic plan
    for it, made while the import's leads table was still small: a sequential scan with the
    batch's 1,000 emails or phones as parameters, compared one by one with every row (not
    hashed, as literal values are). As the table grew, each look for duplicates took longer
    (0.7 s and more a batch at 100,000 leads): the import was quadratic on PostgreSQL. Each
    statement planned with its own values takes the index, or a hashed list.
    """
    raw = connection.connection.dbapi_connection
    if connection.dialect.name != "postgresql" or not hasattr(raw, "prepare_threshold"):
        yield
        return
    threshold = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = threshold


Checked = tuple[int, dict, dict | None, str]  # row number, raw row, clean record or None, reason


def _check_rows(kind: str, numbered: list[tuple[int, dict]], context: Context) -> list[Checked]:
    """Each row checked as the API checks it: its clean record, or why it is invalid."""
    checked = []
    for number, raw in numbered:
        try:
            checked.append((number, raw, CLEANERS[kind](raw, context), ""))
        except Invalid as error:
            checked.append((number, raw, None, error.words(kind)))
    return checked


def _checked(kind: str, rows: Iterable[dict], context: Context, checkers: int) -> Iterator[Checked]:
    """The rows, numbered and checked, in order: here, or in ``checkers`` processes (started
    with spawn, never fork: the caller may hold threads and a database connection)."""
    chunks = _chunks(enumerate(rows, start=FIRST_ROW), CHECK_CHUNK)
    first = list(itertools.islice(chunks, 2))
    if checkers < 1 or len(first) < 2:
        for chunk in itertools.chain(first, chunks):
            yield from _check_rows(kind, chunk, context)
        return
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(checkers, mp_context=spawn) as pool:
        pending: deque = deque()
        for chunk in itertools.chain(first, chunks):
            pending.append(pool.submit(_check_rows, kind, chunk, context))
            if len(pending) >= CHECK_WINDOW * checkers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk


class _Writer:
    """Writes clean rows through the actions inside the import's transaction; a row the
    action refuses is rolled back to its savepoint and reported invalid."""

    def __init__(self, connection, kind, report, actor_id, now):
        self.connection, self.kind, self.report = connection, kind, report
        self.actor_id, self.now = actor_id, now
        self.pending: list[tuple[int, dict]] = []

    def add(self, number: int, record: dict, raw: dict) -> None:
        if self.kind == "lead":
            self.pending.append((number, record))
            if len(self.pending) >= BATCH:
                self.flush()
            return
        key = _key(self.kind, raw)
        try:
            with self.connection.begin_nested():
                result = self._record(record)
        except FieldRefused as error:
            reason = in_words(self.kind, {error.field: error.reason})
            self.report.rows.append(RowOutcome(number, "invalid", key, reason))
            return
        except ActionRefused as error:
            self.report.rows.append(RowOutcome(number, "invalid", key, str(error)))
            return
        status = result.details.get("status", "applied")
        new = status == "applied" and not result.replayed
        record_id = result.details.get("deposit_id") or result.details.get("call_id")
        reason = "" if new else result.message
        self.report.rows.append(
            RowOutcome(number, "new" if new else "duplicate", key, reason, record_id)
        )

    def _record(self, record: dict):
        if self.kind == "deposit":
            event_id = f"{record['transaction_id']}:{record['status']}"
            return actions.record_deposit_event(
                self.connection,
                record,
                event_id=event_id,
                actor_id=self.actor_id,
                now=self.now,
                action_id=event_action_id("import", f"deposit:{record['provider']}", event_id),
            )
        return actions.record_call(
            self.connection,
            record,
            actor_id=self.actor_id,
            now=self.now,
            action_id=event_action_id("import", "call", record["call_id"]),
        )

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        with self.connection.begin_nested():
            result = actions.ingest_leads(
                self.connection,
                [record for _, record in batch],
                action_id=new_action_id(),
                actor_id=self.actor_id,
                now=self.now,
            )
        for (number, record), outcome in zip(batch, result.details["results"], strict=True):
            duplicate = outcome["duplicate"]
            reason = (
                f"the same {_matched_words(outcome['matched_on'])} as lead {outcome['lead_id']}"
                if duplicate
                else ""
            )
            self.report.rows.append(
                RowOutcome(
                    number,
                    "duplicate" if duplicate else "new",
                    record["external_id"],
                    reason,
                    outcome["lead_id"],
                )
            )


def _apply_waiting(engine: sa.Engine, lead_ids: list[int]) -> None:
    """Events that waited for these leads are applied now (when any event waits at all)."""
    with engine.connect() as connection:
        waiting = connection.scalar(
            sa.select(INBOX.c.id).where(INBOX.c.status == "waiting").limit(1)
        )
    if waiting is None:
        return
    for start in range(0, len(lead_ids), BATCH):
        actions.apply_waiting(engine, lead_ids[start : start + BATCH])


def _matched_words(field: str) -> str:
    """What made a lead a duplicate, mid-sentence: "the same e-mail as lead 12"."""
    words = field_words("lead").get(field, field)
    return words[:1].lower() + words[1:]


def _key(kind: str, raw: dict) -> str:
    name = {"lead": "external_id", "deposit": "transaction_id", "call": "call_id"}[kind]
    return str(raw.get(name, ""))[:80]
