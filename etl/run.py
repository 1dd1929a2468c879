"""One ETL run: CRM → landing → staging (typed, checked) → facts and marts → a published snapshot.

The whole change to the warehouse's base (landing, staging, bookkeeping) is one DuckDB
transaction: a run that fails or is killed leaves the base as the last good run left it, and the
next run starts from there (DuckDB replays or discards its write-ahead log on open). The models
are then brought up to date in the next snapshot, in a transaction of its own (``etl.publish``).
Readers never open the base: they read the snapshot this run publishes at the end, or the
previous one until then.

Incremental runs read each CRM table's rows changed since the last run (by ``updated_at``),
reaching back for late commits: a transaction that commits after a run read the table can
carry an ``updated_at`` older than rows that run landed. On PostgreSQL each run notes when the
oldest transaction open at its start began (``CrmSource.write_horizon``): whatever it could not
see was stamped no earlier, so the next run reads every table from there, less a margin for
clock skew. Where the CRM cannot tell (SQLite), a run reads from each table's watermark less a
fixed overlap window. Rows read again as staging has them are dropped before staging. Deleted
rows come from the CRM's tombstone table (``deleted_rows``, filled by triggers).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import re
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

from crm.errors import UserError
from crm.models import Base
from crm.time_zones import floor_zone_name, is_time_zone
from etl import changes, staging
from etl.publish import SnapshotWriter, current_snapshot
from etl.sql import TRACE, run_sql, scalar
from warehouse import MODELS_DIR, WarehousePaths

# Parents first: a child's staging checks look its parents up.
STAGED_TABLES = (
    "currencies",
    "teams",
    "staff",
    "staff_history",
    "leads",
    "platform_sessions",
    "calls",
    "deposit_attempts",
    "notes",
    "assignments",
    "support_tickets",
    "email_outbox",
    "am_targets",
    "target_board_entries",
    "audit_log",
    "crm_settings",
)
FUTURE_TOLERANCE = timedelta(minutes=5)
# Before this, a time is a mistake (a year typed 0206, -infinity, the Unix epoch): one such call
# or registration would start the daily marts' calendars there, a row per AM per day since.
PAST_BEFORE = datetime(2000, 1, 1, tzinfo=timezone.utc)
MEMORY_LIMIT = "2GB"
# An incremental run that lands up to SMALL_RUN_ROWS works within SMALL_RUN_MEMORY, from buffers
# the block allocator keeps for the process's life: on these VMs fresh memory is at times what
# such a run pays for most (the kernel zeroing pages: 5-8 s of system time in a 9-10 s run at
# 2 GB, 3-5 s bounded; bench/HISTORY.md, session 10). Full runs, rebuilds and larger runs keep
# MEMORY_LIMIT: their marts would spill. (Lowering the limit evicts or spills what is cached.)
SMALL_RUN_MEMORY = "800MB"
SMALL_RUN_ROWS = 1_000_000
DEFAULT_OVERLAP = timedelta(minutes=10)
# Read back past the write horizon by this much: clocks of app servers that differ from the
# database's, and an action that reads the clock before its transaction's first statement
# (it may wait up to 30 s for a pooled connection).
CLOCK_SKEW = timedelta(minutes=1)
# Past any write-ahead log an incremental run leaves: it checkpoints itself, beside the models.
DEFERRED_CHECKPOINT = "1TB"
# Below any commit of the models: their commit checkpoints the snapshot.
CHECKPOINT_AT_COMMIT = "1kB"
# A checkpoint after deletes may vacuum: merge row groups to drop the deleted rows for good. At
# brokerage scale that is 1-2 s for the base and the snapshot each, and an incremental run
# deletes every row it replaces. So runs checkpoint without it until the rows landed since the
# last vacuum reach this share of the staged rows (a few percent of dead rows cost scans little).
VACUUM_SHARE = 0.05
MATERIALIZED = "-- materialized"
# ``-- materialized: known_lead(lead_id)``: the temp table comes with a macro that tells
# whether a value is among its keys (etl.run._create_membership).
MEMBERSHIP = re.compile(r"^-- materialized: (?P<macro>\w+)\((?P<key>\w+)\)")

BOOKKEEPING = """
CREATE SCHEMA IF NOT EXISTS landing;
CREATE TABLE IF NOT EXISTS etl_runs (
    run_id integer PRIMARY KEY, mode varchar, status varchar, as_of timestamptz,
    started_at timestamptz, finished_at timestamptz, rows_landed bigint,
    rows_quarantined bigint, rows_deleted bigint, error varchar
);
-- Seconds the CRM's streaming replica was behind its primary when the run read it (NULL: the
-- run read the CRM itself). Added after the table: a base made before has it added here.
ALTER TABLE etl_runs ADD COLUMN IF NOT EXISTS replica_lag_s double;
CREATE TABLE IF NOT EXISTS etl_run_tables (
    run_id integer, table_name varchar, rows_landed bigint, rows_quarantined bigint,
    rows_deleted bigint, watermark timestamptz, seconds double
);
CREATE TABLE IF NOT EXISTS etl_watermarks (table_name varchar PRIMARY KEY, watermark timestamptz);
CREATE TABLE IF NOT EXISTS etl_state (key varchar PRIMARY KEY, value varchar);
CREATE TABLE IF NOT EXISTS quarantine (
    table_name varchar, row_key varchar, reason varchar, run_id integer, quarantined_at timestamptz
);
"""


@dataclass
class TableResult:
    landed: int = 0  # new row versions: rows read again as staging has them are not counted
    unchanged: int = 0  # rows read again (the overlap for late commits) as staging has them
    quarantined: int = 0  # held in the snapshot's quarantine after the run, orphans included
    deleted: int = 0
    watermark: datetime | None = None
    seconds: float = 0.0


@dataclass
class RunSummary:
    run_id: int
    mode: str
    as_of: datetime
    seconds: float = 0.0
    tables: dict[str, TableResult] = field(default_factory=dict)
    snapshot: Path | None = None
    published_after: float = 0.0  # seconds from the start until readers had this run's data
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step of the run
    vacuumed: bool = False  # whether its checkpoints dropped deleted rows (VACUUM_SHARE)
    replica_lag: float | None = None  # seconds the CRM's replica was behind (None: no replica)

    @contextmanager
    def phase(self, name: str):
        began = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - began

    @property
    def landed(self) -> int:
        return sum(t.landed for t in self.tables.values())

    @property
    def unchanged(self) -> int:
        return sum(t.unchanged for t in self.tables.values())

    @property
    def quarantined(self) -> int:
        return sum(t.quarantined for t in self.tables.values())

    @property
    def deleted(self) -> int:
        return sum(t.deleted for t in self.tables.values())

    def line(self) -> str:
        busiest = sorted(
            ((name, t.landed) for name, t in self.tables.items() if t.landed), key=lambda x: -x[1]
        )[:4]
        detail = ", ".join(f"{name} {rows:,}" for name, rows in busiest)
        return (
            f"etl: {self.mode} run {self.run_id} in {self.seconds:.1f} s "
            f"(published after {self.published_after:.1f} s): {self.landed:,} rows"
            f"{f' ({detail})' if detail else ''}"
            f"{f', {self.unchanged:,} read again unchanged' if self.unchanged else ''}, "
            f"{self.quarantined:,} quarantined, "
            f"{self.deleted:,} deleted{', vacuumed' if self.vacuumed else ''}; "
            f"data as of {self.as_of:%Y-%m-%d %H:%M:%S} UTC"
            f"{'' if self.replica_lag is None else f' (replica {self.replica_lag:.1f} s behind)'} "
            f"[{', '.join(f'{name} {seconds:.1f} s' for name, seconds in self.phases.items())}]"
        )


def model_sql(layer: str, name: str) -> str:
    return (MODELS_DIR / layer / f"{name}.sql").read_text()


def _code(layer: str, name: str) -> str:
    """A model's SQL without its comments, which may name other models."""
    return re.sub(r"--[^\n]*", "", model_sql(layer, name))


def _reading(layer: str, name: str) -> str:
    """What a model reads: its code, and that of the keys it is kept by (which may read the
    changes of other models)."""
    how = changes.Maintenance.of(model_sql(layer, name))
    code = _code(layer, name)
    if how is not None and how.keys_relation and layer != "changes":
        code += _code("changes", how.keys_relation)
    return code


def models(*layers: str) -> list[tuple[str, str]]:
    """The layers' models as (layer, name), each after the models it reads (by name, or by
    ``changes_<name>``, the changes a by-key model leaves), its keys' reads included."""
    found = {path.stem: layer for layer in layers for path in (MODELS_DIR / layer).glob("*.sql")}
    # A model is read by name, or through the membership macro it comes with.
    named = {}
    for name, layer in found.items():
        check = MEMBERSHIP.match(model_sql(layer, name))
        macro = rf"|\b{check['macro']}\s*\(" if check else ""
        named[name] = re.compile(rf"\b(changes_)?{name}\b{macro}")
    reads = {}
    for name in sorted(found):
        code = _reading(found[name], name)
        reads[name] = {other for other in found if other != name and named[other].search(code)}
    return [(found[name], name) for name in TopologicalSorter(reads).static_order()]


@contextmanager
def etl_lock(paths: WarehousePaths):
    """One ETL at a time per warehouse. The kernel drops the lock if the holder dies."""
    with _open_lock(paths) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(
                f"another ETL run is using the warehouse {paths.link}: wait for it to finish "
                "(or stop the `python -m etl watch` that runs it)."
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _open_lock(paths: WarehousePaths):
    """The lock file, in the warehouse's folder made if need be; a ``UserError`` when
    ``WAREHOUSE_PATH`` names something else than a warehouse, or a place this user cannot
    write (checked before anything is written)."""
    link = paths.link
    if link.exists() and not link.is_symlink():
        kind = "a folder" if link.is_dir() else "a file"
        raise UserError(
            f"WAREHOUSE_PATH {link} is {kind}, not a Starboard warehouse (a link to the newest "
            "snapshot, which the ETL makes): point WAREHOUSE_PATH at a new name."
        )
    try:
        paths.home.mkdir(parents=True, exist_ok=True)
        paths.work.mkdir(parents=True, exist_ok=True)
        return open(paths.lock, "a+")
    except OSError as error:
        raise UserError(
            f"cannot write the warehouse at {link} (WAREHOUSE_PATH): "
            f"{error.strerror or error}; point WAREHOUSE_PATH at a folder this user may write."
        ) from None


def open_base(paths: WarehousePaths) -> duckdb.DuckDBPyConnection:
    paths.work.mkdir(parents=True, exist_ok=True)
    base = duckdb.connect(str(paths.base))
    run_sql(base, "SET TimeZone = 'UTC'")
    # Halves bulk-load time and keeps the file from doubling; row order carries no meaning here.
    run_sql(base, "SET preserve_insertion_order = false")
    # DuckDB computes a view read twice in one statement once, into memory: for the activity
    # log's assignments (the owners of changed mails, and the changed assignments) that is all
    # 1.7 M of them, 0.1 s, where each read alone keeps a few thousand.
    run_sql(base, "SET disabled_optimizers = 'common_subplan'")
    # No checkpoint vacuums (rewrites row groups with deleted rows) unless a run finds it due
    # (_vacuum_due): closing the base checkpoints too, and would otherwise vacuum every time.
    run_sql(base, "SET max_vacuum_tasks = 0")
    # Bounded memory: what does not fit spills to the warehouse's own folder.
    run_sql(base, f"SET memory_limit = '{MEMORY_LIMIT}'")
    run_sql(base, f"SET block_allocator_memory = '{SMALL_RUN_MEMORY}'")
    run_sql(base, f"SET temp_directory = '{paths.work / 'spill'}'")
    run_sql(base, BOOKKEEPING)
    return base


def run_etl(
    source,
    paths: WarehousePaths,
    *,
    full: bool = False,
    overlap: timedelta = DEFAULT_OVERLAP,
    progress: Callable[[str], None] | None = None,
    now: Callable[[], datetime] | None = None,
    floor_zone: str | None = None,
) -> RunSummary:
    """Load the CRM behind ``source`` (an ``etl.extract.CrmSource``) into the warehouse, its
    reporting days in ``floor_zone`` (default ``STARBOARD_TIME_ZONE``)."""
    with Loader(paths) as loader:
        return loader.run(
            source, full=full, overlap=overlap, progress=progress, now=now, floor_zone=floor_zone
        )


class Loader:
    """The warehouse's base held open for one run or, in the watch loop, for many.

    Held open, the base keeps in memory what earlier runs read (DuckDB's buffer pool), so an
    incremental run does not read and decompress the staged tables from the file again: at
    brokerage scale that is most of what a freshly opened base spends. One ETL process per
    warehouse: the lock is held for the loader's life."""

    def __init__(self, paths: WarehousePaths):
        self.paths = paths
        self._lock = None
        self._base: duckdb.DuckDBPyConnection | None = None

    def __enter__(self) -> Loader:
        self._lock = etl_lock(self.paths)
        self._lock.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._close_base()
        lock, self._lock = self._lock, None
        lock.__exit__(*exc)

    def run(
        self,
        source,
        *,
        full: bool = False,
        overlap: timedelta = DEFAULT_OVERLAP,
        progress: Callable[[str], None] | None = None,
        now: Callable[[], datetime] | None = None,
        floor_zone: str | None = None,
    ) -> RunSummary:
        clock = now or (lambda: datetime.now(timezone.utc))
        zone = _checked_zone(floor_zone)
        say = progress or (lambda _line: None)
        if self._base is None:
            self._base = open_base(self.paths)
        else:
            _drop_temporaries(self._base)  # what the last run left must not stand for this one's
        try:
            return _run(self._base, source, self.paths, full, overlap, say, clock, zone)
        except BaseException:
            # Whatever state DuckDB is left in, the next run starts from the file again.
            self._close_base()
            raise

    def _close_base(self) -> None:
        base, self._base = self._base, None
        if base is not None:
            with contextlib.suppress(duckdb.Error):
                base.close()


def _drop_temporaries(base) -> None:
    views = "SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal"
    for (name,) in run_sql(base, views):
        run_sql(base, f'DROP VIEW IF EXISTS temp.main."{name}"')
    for (name,) in run_sql(base, "SELECT table_name FROM duckdb_tables() WHERE temporary"):
        run_sql(base, f'DROP TABLE IF EXISTS temp.main."{name}"')


def _checked_zone(zone: str | None) -> str:
    """The floor's zone the run builds its reporting days in: ``zone``, else the configured one."""
    if zone is None:
        return floor_zone_name()
    if not is_time_zone(zone):
        raise UserError(f"{zone!r} is not a time zone: give an IANA name like Asia/Nicosia.")
    return zone


def _run(base, source, paths, full, overlap, say, clock, zone) -> RunSummary:
    started = time.perf_counter()
    # A run still 'running' here was killed: its changes were never committed.
    run_sql(base, "UPDATE etl_runs SET status = 'killed' WHERE status = 'running'")
    watermarks = dict(run_sql(base, "SELECT table_name, watermark FROM etl_watermarks"))
    as_of = clock()
    if not full and not scalar(
        base, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'stg_leads'"
    ):
        full = True  # nothing loaded yet
    staging_rules = _staging_fingerprint()
    if not full and _state(base, "staging") != staging_rules:
        # Staged rows were typed and checked by other rules, or the CRM gained columns they
        # lack (a migration): merging this run's rows into them would mix the two.
        say("etl: the staging rules or the CRM's columns changed: reloading everything once")
        full = True
    if not full and any(mark > as_of for mark in watermarks.values() if mark is not None):
        # Only a row stamped in the future can have put a watermark ahead of the clock (the
        # cap below prevents it since): rows written after it may have been passed over.
        say("etl: a watermark lies in the future: reloading everything once")
        full = True
    mode = "full" if full else "incremental"
    run_id = scalar(base, "SELECT coalesce(max(run_id), 0) + 1 FROM etl_runs")
    # The current snapshot's models follow the base's staging as this run found it only if
    # the run that last committed staging also published: then this run's snapshot can be
    # that one brought up to date. Otherwise (a run killed in between, no snapshot yet,
    # different model SQL) the models are built again from the staged tables.
    start_from = current_snapshot(paths)
    staged = _state(base, "staged")
    # The floor's zone is part of what the models compute (every reporting day): another zone
    # rebuilds them all, as other SQL would.
    fingerprint = _models_fingerprint(zone)
    rebuild = (
        full
        or start_from is None
        or staged is None
        or staged != _state(base, "published")
        or _state(base, "models") != fingerprint
    )
    _bound_memory(base, small=not rebuild)
    run_sql(
        base,
        "INSERT INTO etl_runs (run_id, mode, status, as_of, started_at) "
        "VALUES (?, ?, 'running', ?, ?)",
        [run_id, mode, as_of, clock()],
    )
    summary = RunSummary(run_id=run_id, mode=mode, as_of=as_of)
    run_sql(base, "SET VARIABLE as_of = ?::timestamptz", [as_of])
    # The moment the marts in the base were computed for (changed_priority_leads).
    run_sql(
        base,
        "SET VARIABLE previous_as_of = "
        "(SELECT max(as_of) FROM etl_runs WHERE status = 'succeeded')::timestamptz",
    )
    run_sql(base, "SET VARIABLE future_after = ?::timestamptz", [as_of + FUTURE_TOLERANCE])
    run_sql(base, "SET VARIABLE past_before = ?::timestamptz", [PAST_BEFORE])
    # The times a page can show (Python's years 1-9999): not ±infinity, which PostgreSQL keeps.
    run_sql(
        base,
        "SET VARIABLE earliest = timestamptz '0001-01-01 00:00:00+00'; "
        "SET VARIABLE latest = timestamptz '9999-12-31 23:59:59.999999+00'",
    )

    tables = Base.metadata.tables
    # Before any table is read: a row committed after its table's read was stamped no earlier.
    horizon = source.write_horizon()
    summary.replica_lag = getattr(source, "replica_lag", None)
    previous_horizon = _stored_time(base, "write_horizon")
    snapshot = SnapshotWriter(base, paths, run_id, zone)
    # Copied now, the current snapshot reaches the disk while this run lands and stages.
    snapshot.prepare(None if rebuild else start_from)
    reads = {}
    for name in (*STAGED_TABLES, "deleted_rows"):
        since = None
        if not full and name in watermarks:
            if previous_horizon is None:
                since = watermarks[name] - overlap
            else:
                # What the last run missed was committed after it read, so stamped after its
                # horizon. (Not its watermark less a margin: a table that went quiet after a
                # burst would re-land the burst's last minute at every run.)
                since = previous_horizon - CLOCK_SKEW
        reads[name] = since
    try:
        run_sql(base, "BEGIN TRANSACTION")
        with source.reading_ahead((tables[name], since) for name, since in reads.items()):
            for name, since in reads.items():
                _land(base, source, tables[name], since, full, watermarks.get(name), summary, say)
        if not full:
            with summary.phase("landing"):
                for name in STAGED_TABLES:
                    result = summary.tables[name]
                    result.unchanged = staging.drop_unchanged(base, name, watermarks.get(name))
                    result.landed -= result.unchanged
            if summary.landed > SMALL_RUN_ROWS:
                _bound_memory(base, small=False)
        if staged is None:
            _drop_legacy_models(base)
        if not rebuild:
            with summary.phase("changes"):
                _create_views(base)
                changes.capture_before(base, lambda name: model_sql("staging", f"stg_{name}"))
        if not full:
            with summary.phase("deletes"):
                _apply_tombstones(base, summary)
        for name in STAGED_TABLES:
            if not full and not summary.tables[name].landed:
                continue  # nothing landed to type, check or merge (tombstones are applied apart)
            with summary.phase("staging"):
                summary.tables[name].quarantined = staging.stage(
                    base, name, model_sql("staging", f"stg_{name}"), run_id, as_of, full
                )
        with summary.phase("changes"):
            _create_views(base)
            rebuild = rebuild or not changes.capture_after(base)
            if rebuild:
                _bound_memory(base, small=False)
                changes.everything(base)
        # One statement for all tables: each statement costs a millisecond or two to plan.
        _insert_rows(
            base,
            "INSERT OR REPLACE INTO etl_watermarks",
            [
                (name, result.watermark)
                for name, result in summary.tables.items()
                if result.watermark is not None
            ],
        )
        _insert_rows(
            base,
            "INSERT INTO etl_run_tables",
            [
                (
                    run_id,
                    name,
                    result.landed,
                    result.quarantined,
                    result.deleted,
                    result.watermark,
                    round(result.seconds, 3),
                )
                for name, result in summary.tables.items()
            ],
        )
        if horizon is None:
            run_sql(base, "DELETE FROM etl_state WHERE key = 'write_horizon'")
        else:
            # Capped by the run's clock as watermarks are (a clock behind the database's
            # reads back further; never less far).
            run_sql(
                base,
                "INSERT OR REPLACE INTO etl_state VALUES ('write_horizon', ?)",
                [min(horizon, as_of).isoformat()],
            )
        run_sql(base, "INSERT OR REPLACE INTO etl_state VALUES ('staged', ?)", [str(run_id)])
        for name in (*STAGED_TABLES, "deleted_rows"):
            run_sql(base, f"DROP TABLE IF EXISTS landing.{name}")
        if not full:
            # The commit writes the write-ahead log only; the checkpoint, which rewrites the
            # changed blocks of the base, runs beside the models (_BackgroundCheckpoint).
            # Killed in between, DuckDB replays the log on open.
            run_sql(base, f"SET checkpoint_threshold = '{DEFERRED_CHECKPOINT}'")
        run_sql(base, "COMMIT")
    except BaseException as error:
        run_sql(base, "ROLLBACK")
        snapshot.abandon()
        _record_failure(base, run_id, error, clock)
        raise
    # The models live in the snapshot only: written once, where readers find them. Killed from
    # here on, the base's staging is ahead of the published models ('staged' is not
    # 'published'): the next run builds them again from it.
    summary.vacuumed = _vacuum_due(base, full, summary.landed)
    if summary.vacuumed:
        run_sql(base, "RESET max_vacuum_tasks")
    reader_tables = _reader_tables(snapshot)
    # The base's checkpoint (rewriting the blocks this run's staging changed) runs beside the
    # models: they read the base but write only to the snapshot, and the checkpoint is mostly
    # waiting on compression and the disk while many of the models' statements use one core.
    checkpoint = _BackgroundCheckpoint(base)
    try:
        with summary.phase("marts"):
            snapshot.open(copy=not rebuild, drop=tuple(reader_tables))
            run_sql(base, "BEGIN TRANSACTION")
            checkpoint.start(snapshot.home)
            _build_models(base, rebuild)
        with summary.phase("checkpoint"):
            refused = checkpoint.wait()
        with summary.phase("publish"):
            # Committed over the threshold, the models go straight into the snapshot's blocks
            # (a checkpoint at commit) instead of into its write-ahead log first and its blocks
            # at the checkpoint before publishing: written once, not twice.
            run_sql(base, f"SET checkpoint_threshold = '{CHECKPOINT_AT_COMMIT}'")
            run_sql(base, "COMMIT")
            # The reader tables that follow each commit on their own: into the log, which the
            # snapshot's checkpoint before publishing writes out once.
            run_sql(base, f"SET checkpoint_threshold = '{DEFERRED_CHECKPOINT}'")
            _count_quarantine(base, snapshot, reader_tables["quarantine"], summary)
            run_sql(
                base,
                f"UPDATE {snapshot.base_table('etl_runs')} SET status = 'succeeded', "
                "finished_at = ?, rows_landed = ?, rows_quarantined = ?, rows_deleted = ?, "
                "replica_lag_s = ? WHERE run_id = ?",
                [
                    clock(),
                    summary.landed,
                    summary.quarantined,
                    summary.deleted,
                    summary.replica_lag,
                    run_id,
                ],
            )
            snapshot.write(reader_tables)
            summary.snapshot = snapshot.publish()
            run_sql(
                base,
                "INSERT OR REPLACE INTO etl_state VALUES ('published', ?), ('models', ?), "
                "('staging', ?)",
                [str(run_id), fingerprint, staging_rules],
            )
    except BaseException as error:
        checkpoint.wait()
        snapshot.abandon()
        _record_failure(base, run_id, error, clock)
        raise
    summary.published_after = time.perf_counter() - started
    if refused is not None:
        # The data is safe in the write-ahead log: checkpoint as a run did before, at its end.
        say(f"etl: the base's checkpoint beside the models failed ({refused}): made now")
        with summary.phase("checkpoint"):
            run_sql(base, "CHECKPOINT")
    run_sql(base, "SET max_vacuum_tasks = 0")
    run_sql(base, "RESET checkpoint_threshold")
    summary.seconds = time.perf_counter() - started
    return summary


class _BackgroundCheckpoint:
    """``CHECKPOINT`` of one database of the connection, on a cursor of its own in a thread."""

    def __init__(self, base: duckdb.DuckDBPyConnection):
        self.base = base
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self, database: str) -> None:
        cursor = self.base.cursor()

        def checkpoint() -> None:
            try:
                run_sql(cursor, f"CHECKPOINT {database}")
            except BaseException as error:  # handed to the run's thread by wait()
                self._error = error
            finally:
                cursor.close()

        self._thread = threading.Thread(target=checkpoint, name="base-checkpoint", daemon=True)
        self._thread.start()

    def wait(self) -> BaseException | None:
        """Wait for the checkpoint; the error it failed with, if it did."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
        error, self._error = self._error, None
        return error


def _insert_rows(base, insert: str, rows: list[tuple]) -> None:
    """``insert`` (``INSERT INTO <table>``) the ``rows``, all in one statement."""
    if rows:
        values = ", ".join(["(" + ", ".join(["?"] * len(rows[0])) + ")"] * len(rows))
        run_sql(base, f"{insert} VALUES {values}", [value for row in rows for value in row])


def _land(base, source, table, since, full, watermark, summary: RunSummary, say) -> None:
    """Land the CRM table (its rows changed since ``since``, or all) and note its result with
    its new watermark (``watermark`` if it had one and nothing newer came)."""
    began = time.perf_counter()
    # A full run stages each table on its way in (parents first, so the checks that look a
    # parent up find it staged): its rows are written once, typed.
    into = None
    if full and table.name in STAGED_TABLES:
        into = (f"stg_{table.name}", model_sql("staging", f"stg_{table.name}"))
    with summary.phase("landing"):
        rows = source.land(base, table, f"landing.{table.name}", since=since, into=into)
    result = TableResult(landed=rows, seconds=time.perf_counter() - began)
    # Never past this run's own clock: a row stamped in the future (an app server whose clock
    # runs ahead) would otherwise make the next runs skip the rows written until that moment.
    # Such a row is read again until its time has come.
    landed = f"landing.{table.name}" if into is None else into[0]
    landed_mark = (_landed_watermark(base, landed) if rows else None) or watermark
    result.watermark = None if landed_mark is None else min(landed_mark, summary.as_of)
    summary.tables[table.name] = result
    if rows and (full or rows > 100_000):
        say(
            f"etl: {table.name}: {rows:,} rows in {result.seconds:.1f} s "
            f"({rows / max(result.seconds, 1e-9):,.0f} rows/s)"
        )


def _bound_memory(base, small: bool) -> None:
    """SMALL_RUN_MEMORY for an incremental run that stays small, MEMORY_LIMIT otherwise."""
    run_sql(base, f"SET memory_limit = '{SMALL_RUN_MEMORY if small else MEMORY_LIMIT}'")


def _vacuum_due(base, full: bool, landed: int) -> bool:
    """Whether this run's checkpoints (the snapshot's and the base's) may vacuum, by the rows
    landed since the last run that did (see ``VACUUM_SHARE``). A full run writes every table
    anew: nothing to vacuum, the count starts again."""
    since = 0 if full else int(_state(base, "landed_since_vacuum") or 0) + landed
    staged = scalar(
        base,
        "SELECT coalesce(sum(estimated_size), 0) FROM duckdb_tables() "
        "WHERE database_name = current_database() AND starts_with(table_name, 'stg_')",
    )
    due = not full and since >= VACUUM_SHARE * staged
    run_sql(
        base,
        "INSERT OR REPLACE INTO etl_state VALUES ('landed_since_vacuum', ?)",
        [str(0 if due else since)],
    )
    return due


def _count_quarantine(base, snapshot: SnapshotWriter, quarantine: str, summary) -> None:
    """Count, per table, what readers will find in the snapshot's ``quarantine``: the rows left
    out for a bad value and those whose lead or AM is missing alike, whichever run found
    them. The run line and the run log say these, so that they never hide a row."""
    run_sql(
        base,
        "CREATE OR REPLACE TEMP TABLE quarantined AS "
        f"SELECT table_name, count(*) AS held FROM ({quarantine}) GROUP BY table_name",
    )
    held = dict(run_sql(base, "SELECT table_name, held FROM quarantined"))
    for name, result in summary.tables.items():
        result.quarantined = held.get(name, 0)
    run_sql(
        base,
        f"UPDATE {snapshot.base_table('etl_run_tables')} AS counted SET rows_quarantined = "
        "coalesce((SELECT held FROM quarantined WHERE table_name = counted.table_name), 0) "
        "WHERE run_id = ?",
        [summary.run_id],
    )


def _record_failure(base, run_id: int, error: BaseException, clock) -> None:
    run_sql(
        base,
        "UPDATE etl_runs SET status = 'failed', finished_at = ?, error = ? WHERE run_id = ?",
        [clock(), f"{type(error).__name__}: {error}"[:2000], run_id],
    )


def _state(base, key: str) -> str | None:
    found = run_sql(base, "SELECT value FROM etl_state WHERE key = ?", [key])
    return found[0][0] if found else None


def _stored_time(base, key: str) -> datetime | None:
    value = _state(base, key)
    return None if value is None else datetime.fromisoformat(value)


def _landed_watermark(base, relation: str) -> datetime | None:
    return scalar(base, f"SELECT max(try_cast(updated_at AS timestamptz)) FROM {relation}")


def _apply_tombstones(base, summary: RunSummary) -> None:
    """Remove from staging and quarantine the rows the CRM deleted since the last run."""
    deleted = run_sql(base, "SELECT DISTINCT table_name FROM landing.deleted_rows")
    for (table_name,) in deleted:
        if table_name not in STAGED_TABLES or table_name not in summary.tables:
            continue
        staged = f"stg_{table_name}"
        key = staging.key_column(base, staged)
        removed = scalar(
            base,
            f"DELETE FROM {staged} WHERE cast({key} AS varchar) IN "
            "(SELECT row_key FROM landing.deleted_rows WHERE table_name = ?)",
            [table_name],
        )
        run_sql(
            base,
            "DELETE FROM quarantine WHERE table_name = ? AND row_key IN "
            "(SELECT row_key FROM landing.deleted_rows WHERE table_name = ?)",
            [table_name, table_name],
        )
        summary.tables[table_name].deleted += removed


def _create_views(base) -> None:
    """Facts and dims are views over staging; a model that says ``-- materialized`` in its first
    line is a temp table instead, computed here once for every read of the views after it."""
    for layer, name in models("facts"):
        sql = model_sql(layer, name)
        kind = "TEMP TABLE" if sql.startswith(MATERIALIZED) else "VIEW"
        run_sql(base, f"CREATE OR REPLACE {kind} {name} AS {sql}")
        if check := MEMBERSHIP.match(sql):
            _create_membership(base, name, check["macro"], check["key"])


def _create_membership(base, relation: str, macro: str, key: str) -> None:
    """The temp macro ``macro(value)``: whether ``value`` is one of the integer keys ``key`` of
    ``relation``. A fact view asks it of every row it reads; ``value IN (SELECT key FROM
    relation)`` would hash all of ``relation`` (1 M leads) at every read, some forty times a
    run, even when the read wants a thousand rows. Keys are mostly dense (CRM sequences), so
    the macro tests the range they span and the few values missing in it (the gaps: deleted,
    quarantined, rolled back): a hash of the gaps only. Where the gaps outnumber the keys
    (sparse keys), it falls back to the hash of the keys."""
    low, high, count = run_sql(base, f"SELECT min({key}), max({key}), count(*) FROM {relation}")[0]
    gaps = f"{relation}_gaps"
    missing = high - low + 1 - count if count else None
    if missing == 0:
        test = f"value BETWEEN {low} AND {high}"
    elif missing is not None and missing <= count:
        # Each key and the next one: the values between them are the gaps (a sort of the
        # keys costs half of hashing them to find the range's values they lack).
        run_sql(
            base,
            f"CREATE OR REPLACE TEMP TABLE {gaps} AS "
            f"SELECT unnest(range({key} + 1, next)) AS {key} FROM ("
            f"SELECT {key}, lead({key}) OVER (ORDER BY {key}) AS next FROM {relation}) "
            f"WHERE next > {key} + 1",
        )
        test = f"value BETWEEN {low} AND {high} AND value NOT IN (SELECT {key} FROM {gaps})"
    else:
        test = f"value IN (SELECT {key} FROM {relation})"
    run_sql(base, f"CREATE OR REPLACE TEMP MACRO {macro}(value) AS {test}")


def _build_models(base, rebuild: bool) -> None:
    """The intermediate tables, then the marts, in the snapshot being written: each kept up to
    date as its SQL file says (``etl.changes.Maintenance``), or rebuilt.

    A by-key model's keys (``warehouse/models/changes/``) are worked out just before it runs:
    they may read what the models before it changed (``changes_int_lead_activity``)."""
    built: set[str] = set()
    kept = models("intermediate", "marts")
    readers = " ".join(_reading(layer, name) for layer, name in kept)
    for layer, name in kept:
        sql = model_sql(layer, name)
        how = changes.Maintenance.of(sql)
        if not rebuild and how is not None and how.keys_relation:
            _build_keys(base, how.keys_relation, built)
        followed = re.search(rf"\bchanges_{name}\b", readers) is not None
        changes.maintain(base, name, sql, how, rebuild, followed)


def _build_keys(base, name: str, built: set[str]) -> None:
    """The temp table ``name`` from ``warehouse/models/changes/``, after the ones it reads."""
    if name in built:
        return
    code = _code("changes", name)
    for _, other in models("changes"):
        if other != name and re.search(rf"\b{other}\b", code):
            _build_keys(base, other, built)
    run_sql(base, f"CREATE OR REPLACE TEMP TABLE {name} AS {model_sql('changes', name)}")
    built.add(name)
    if TRACE:
        print(
            f"etl: {name}: {scalar(base, f'SELECT count(*) FROM {name}'):,} keys", file=sys.stderr
        )


def _models_fingerprint(zone: str) -> str:
    digest = hashlib.sha256(f"floor zone {zone}\n".encode())
    for path in sorted(MODELS_DIR.rglob("*.sql")):
        digest.update(path.relative_to(MODELS_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _staging_fingerprint() -> str:
    """The staging rules and the CRM columns they read: staged rows are comparable across
    runs only while both stay the same."""
    digest = hashlib.sha256()
    for path in sorted((MODELS_DIR / "staging").glob("*.sql")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for name in STAGED_TABLES:
        digest.update(name.encode())
        digest.update(",".join(Base.metadata.tables[name].columns.keys()).encode())
    return digest.hexdigest()


def _drop_legacy_models(base) -> None:
    """Bases written before the models moved to the snapshots (they have no 'staged' run)
    held the models too: dead weight."""
    for _, name in models("intermediate", "marts"):
        run_sql(base, f"DROP TABLE IF EXISTS {name}")


def _reader_tables(snapshot: SnapshotWriter) -> dict[str, str]:
    """What a snapshot holds besides the models, taken whole from the base at every run: the
    staff and teams, the CRM's settings, the run log, and the quarantine with its reasons.
    (dim_leads stays in the base: mart_lead_priority carries every lead.)"""
    base = snapshot.base_table
    return {
        "dim_staff": f"SELECT * FROM {base('dim_staff')}",
        "dim_teams": f"SELECT * FROM {base('dim_teams')}",
        "dim_staff_history": f"SELECT * FROM {base('dim_staff_history')}",
        "crm_settings": (
            f"SELECT setting_key, setting_value, updated_at FROM {base('stg_crm_settings')}"
        ),
        "etl_runs": f"SELECT * FROM {base('etl_runs')}",
        "etl_run_tables": f"SELECT * FROM {base('etl_run_tables')}",
        "quarantine": (
            f"SELECT table_name, row_key, reason, quarantined_at FROM {base('quarantine')} "
            "UNION ALL SELECT table_name, row_key, reason, NULL FROM int_quarantine_orphans"
        ),
    }
