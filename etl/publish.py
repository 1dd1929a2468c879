"""Snapshots: the files readers open, each written once, beside the others, and published
atomically, so that readers only ever see complete ones.

A snapshot holds every model (intermediate tables and marts) and what readers need besides
(staff, teams, settings, run log, quarantine). An incremental run starts its snapshot as a copy
of the current one and brings the models up to date in it; a rebuild starts from an empty file.
Either way the file is written under a temporary name, flushed to disk, checked, renamed, and
only then does the ``WAREHOUSE_PATH`` link move to it (an atomic rename of a new link). A reader
keeps the file it opened even after the link moves or the file is removed: on POSIX an open file
lives until its last reader closes it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from pathlib import Path

import duckdb

from etl.sql import run_sql, scalar
from warehouse import WarehousePaths, macros_sql

SNAPSHOTS_KEPT = 3
ALIAS = "snapshot"


def sql_string(text: str | os.PathLike) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def current_snapshot(paths: WarehousePaths) -> Path | None:
    """The snapshot the link points at, if there is one."""
    current = Path(os.path.realpath(paths.link))
    return current if current.is_file() else None


class SnapshotWriter:
    """The next snapshot, open in the ETL's connection as the database ``snapshot``.

    While open it is the connection's default database and comes first in its search path:
    models created without a database name go to the snapshot, and names the snapshot lacks
    (staging tables, fact views) are found in the base."""

    def __init__(
        self, base: duckdb.DuckDBPyConnection, paths: WarehousePaths, run_id: int, zone: str
    ):
        self.base = base
        self.zone = zone  # the floor's: its reporting days
        self.paths = paths
        self.home = scalar(base, "SELECT current_database()")
        self.final = paths.snapshots / f"wh-{run_id:08d}.duckdb"
        self.temporary = paths.snapshots / f".wh-{run_id:08d}.duckdb.tmp"
        self.attached = False
        self._copying: threading.Thread | None = None
        self._copy_error: BaseException | None = None

    def prepare(self, start_from: Path | None) -> None:
        """Copy ``start_from`` (a published snapshot), if given, to be the next one, in the
        background: the copy and its flush to disk (0.4 GB at brokerage scale: 0.2-0.7 s,
        by the disk) overlap the run's landing and staging instead of adding to its
        publishing. A published snapshot is never written again, so copying it meanwhile is
        safe."""
        self.paths.snapshots.mkdir(parents=True, exist_ok=True)
        self._remove_files()
        if start_from is not None:
            self._copying = threading.Thread(
                target=self._copy, args=(start_from,), name="snapshot-copy", daemon=True
            )
            self._copying.start()

    def _copy(self, start_from: Path) -> None:
        try:
            shutil.copyfile(start_from, self.temporary)
            fsync_path(self.temporary)
        except BaseException as error:  # raised in the run's thread, by open()
            self._copy_error = error

    def open(self, copy: bool, drop: tuple[str, ...] = ()) -> None:
        """Open the next snapshot: the copy ``prepare`` made if ``copy``, else an empty file;
        ``drop`` the copied tables that are written whole again."""
        self._wait_for_copy()
        if copy and self._copy_error is not None:
            raise self._copy_error
        if not copy:
            self._remove_files()
        run_sql(self.base, f"ATTACH {sql_string(self.temporary)} AS {ALIAS}")
        self.attached = True
        run_sql(self.base, f"USE {ALIAS}")
        run_sql(self.base, f"SET search_path = '{ALIAS}.main,{self.home}.main'")
        for name in drop:
            run_sql(self.base, f"DROP TABLE IF EXISTS {ALIAS}.main.{name}")
        # A macro that calls another resolves it in its own database only when created from
        # there: the snapshot is the default database now. (Replaced every run: a copied
        # snapshot has the macros its run knew.)
        run_sql(self.base, macros_sql(self.zone))

    def base_table(self, name: str) -> str:
        """``name`` in the base, whatever the search path."""
        return f"{self.home}.main.{name}"

    def write(self, tables: dict[str, str]) -> None:
        """Write each table (name → SELECT) whole into the snapshot."""
        for name, select in tables.items():
            run_sql(self.base, f"CREATE OR REPLACE TABLE {ALIAS}.main.{name} AS {select}")

    def publish(self) -> Path:
        """Flush the snapshot, check what reached the disk, and point the link at it."""
        names = [
            name
            for (name,) in run_sql(
                self.base,
                "SELECT table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY 1",
                [ALIAS],
            )
        ]
        expected = {
            name: scalar(self.base, f"SELECT count(*) FROM {ALIAS}.main.{name}") for name in names
        }
        run_sql(self.base, f"CHECKPOINT {ALIAS}")
        self.close()
        fsync_path(self.temporary)
        check = duckdb.connect(str(self.temporary), read_only=True)
        try:
            for name, rows in expected.items():
                found = check.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
                if found != rows:
                    raise RuntimeError(
                        f"snapshot {self.temporary.name}: {name} has {found} rows, not {rows}"
                    )
        finally:
            check.close()
        os.replace(self.temporary, self.final)
        fsync_path(self.paths.snapshots)
        point_link(self.paths.link, self.final)
        remove_old_snapshots(self.paths, keep=self.final)
        return self.final

    def close(self) -> None:
        """Give the connection back as it was (the base its default database)."""
        if not self.attached:
            return
        self.attached = False
        run_sql(self.base, f"USE {self.home}")
        run_sql(self.base, "RESET search_path")
        run_sql(self.base, f"DETACH {ALIAS}")

    def abandon(self) -> None:
        """After a failure: roll back what was not committed, and leave no file behind."""
        with contextlib.suppress(duckdb.Error):
            run_sql(self.base, "ROLLBACK")
        with contextlib.suppress(duckdb.Error):
            self.close()
        self._wait_for_copy()
        self._remove_files()

    def _wait_for_copy(self) -> None:
        copying, self._copying = self._copying, None
        if copying is not None:
            copying.join()

    def _remove_files(self) -> None:
        for leftover in (self.temporary, Path(f"{self.temporary}.wal")):
            leftover.unlink(missing_ok=True)


def point_link(link: Path, target: Path) -> None:
    """Move ``link`` to ``target`` in one rename: a reader finds the old or the new, never none."""
    link.parent.mkdir(parents=True, exist_ok=True)
    staging = link.with_name(f".{link.name}.next")
    staging.unlink(missing_ok=True)
    staging.symlink_to(os.path.relpath(target, link.parent))
    os.replace(staging, link)
    fsync_path(link.parent)


def remove_old_snapshots(paths: WarehousePaths, keep: Path) -> None:
    snapshots = sorted(paths.snapshots.glob("wh-*.duckdb"))
    for old in snapshots[:-SNAPSHOTS_KEPT]:
        if old != keep:
            old.unlink(missing_ok=True)
    for leftover in paths.snapshots.glob(".wh-*.tmp*"):
        if not leftover.name.startswith(f".{keep.stem}"):
            leftover.unlink(missing_ok=True)
