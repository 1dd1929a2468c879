"""Publishing a warehouse snapshot atomically, so that readers only ever see complete ones.

A snapshot is a new DuckDB file holding what readers need (marts, dims, run log, quarantine).
It is written beside the others under a temporary name, flushed to disk, checked, renamed, and
only then does the ``WAREHOUSE_PATH`` link move to it (an atomic rename of a new link). A
reader keeps the file it opened even after the link moves or the file is removed: on POSIX an
open file lives until its last reader closes it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl.sql import run_sql, scalar
from warehouse import MACROS_FILE, WarehousePaths

SNAPSHOTS_KEPT = 3


def sql_string(text: str | os.PathLike) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Patch:
    """How to bring a table of the previous snapshot up to date: delete the rows whose
    ``key`` is in the relation ``changes`` (sign -1 or +1), insert its rows with sign +1."""

    key: tuple[str, ...]
    changes: str


def publish_snapshot(
    base: duckdb.DuckDBPyConnection,
    paths: WarehousePaths,
    run_id: int,
    tables: dict[str, str],
    patches: dict[str, Patch] | None = None,
) -> Path:
    """Write ``tables`` (snapshot name → SELECT over the base) to a new snapshot; point the link
    at it; remove old snapshots. Returns the snapshot's path.

    With ``patches``, the new snapshot starts as a copy of the current one and the patched
    tables get only their changed rows: a large mart kept by key (the activity log, tens of
    millions of rows at brokerage scale) is not written again every run. The caller passes
    patches only when the current snapshot holds exactly the base before this run."""
    paths.snapshots.mkdir(parents=True, exist_ok=True)
    final = paths.snapshots / f"wh-{run_id:08d}.duckdb"
    temporary = paths.snapshots / f".wh-{run_id:08d}.duckdb.tmp"
    for leftover in (temporary, Path(f"{temporary}.wal")):
        leftover.unlink(missing_ok=True)
    current = Path(os.path.realpath(paths.link))
    patches = patches if patches and current.is_file() else {}
    if patches:
        shutil.copyfile(current, temporary)

    expected: dict[str, int] = {}
    run_sql(base, f"ATTACH {sql_string(temporary)} AS snapshot")
    try:
        for name, select in tables.items():
            patch = patches.get(name)
            if patch is None:
                run_sql(base, f"CREATE OR REPLACE TABLE snapshot.{name} AS {select}")
            else:
                match = " AND ".join(f"old.{column} = changed.{column}" for column in patch.key)
                run_sql(
                    base,
                    f"DELETE FROM snapshot.{name} AS old USING (SELECT DISTINCT "
                    f"{', '.join(patch.key)} FROM {patch.changes}) AS changed WHERE {match}",
                )
                run_sql(
                    base,
                    f"INSERT INTO snapshot.{name} "
                    f"SELECT * EXCLUDE (sign) FROM {patch.changes} WHERE sign = 1",
                )
            # A patched table must end as the base's table is: count the base's.
            counted = f"snapshot.{name}" if patch is None else name
            expected[name] = scalar(base, f"SELECT count(*) FROM {counted}")
        if not patches:
            _create_macros(base)
        run_sql(base, "CHECKPOINT snapshot")
    finally:
        run_sql(base, "DETACH snapshot")
    fsync_path(temporary)

    # Check what reached the disk before anyone can see it: every table as the base has it.
    check = duckdb.connect(str(temporary), read_only=True)
    try:
        for name, rows in expected.items():
            found = check.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
            if found != rows:
                raise RuntimeError(
                    f"snapshot {temporary.name}: {name} has {found} rows, not {rows}"
                )
    finally:
        check.close()

    os.replace(temporary, final)
    fsync_path(paths.snapshots)
    point_link(paths.link, final)
    remove_old_snapshots(paths, keep=final)
    return final


def _create_macros(base: duckdb.DuckDBPyConnection) -> None:
    # A macro that calls another resolves it in its own database only when created from there.
    home = scalar(base, "SELECT current_database()")
    run_sql(base, "USE snapshot")
    try:
        run_sql(base, MACROS_FILE.read_text())
    finally:
        run_sql(base, f"USE {home}")


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
