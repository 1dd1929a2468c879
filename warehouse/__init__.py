"""The DuckDB warehouse: where it lives, and how readers (pages, SQL tools) open it.

Layout, for ``WAREHOUSE_PATH`` = ``data/warehouse.duckdb`` (the default):

- ``data/warehouse.duckdb`` — a symbolic link to the newest complete snapshot. Any SQL tool can
  open it read-only; the dashboard does.
- ``data/warehouse.duckdb.d/snapshots/wh-<run>.duckdb`` — published snapshots (marts and the
  intermediate tables behind them, dims, run log, quarantine). Written once, never changed
  after publishing; the oldest are removed.
- ``data/warehouse.duckdb.d/base.duckdb`` — the ETL's own working database (landing, staging,
  facts). Only the ETL process opens it, so readers never meet its write lock.
  ``WAREHOUSE_WORK_DIR`` puts it (with the ETL's lock and spill files) elsewhere: the link and
  the snapshots are then all that the folder holds, which may be storage the dashboard hosts
  share (docs/deploy.md), while the base stays on the ETL host's own disk.

``warehouse/README.md`` explains why, and documents every mart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from crm.config import DATA_DIR

DEFAULT_WAREHOUSE_PATH = DATA_DIR / "warehouse.duckdb"
MODELS_DIR = Path(__file__).resolve().parent / "models"
QUERIES_DIR = Path(__file__).resolve().parent / "queries"
MACROS_FILE = Path(__file__).resolve().parent / "macros.sql"


@dataclass(frozen=True)
class WarehousePaths:
    link: Path  # what readers open: the current snapshot
    home: Path  # the published snapshots' folder (beside the link)
    work_dir: Path | None = None  # the ETL's own files; None: in home

    @property
    def work(self) -> Path:
        """Where the ETL keeps its base, lock and spill files."""
        return self.work_dir or self.home

    @property
    def base(self) -> Path:
        return self.work / "base.duckdb"

    @property
    def snapshots(self) -> Path:
        return self.home / "snapshots"

    @property
    def lock(self) -> Path:
        return self.work / "etl.lock"


def macros_sql(zone: str) -> str:
    """The macros every snapshot carries (``macros.sql``), ``floor_zone()`` first: the floor's
    IANA time zone (checked by the caller), whose midnight ends a reporting day."""
    if "'" in zone:
        raise ValueError(f"{zone!r} is not a time zone")
    return f"CREATE OR REPLACE MACRO floor_zone() AS '{zone}';\n{MACROS_FILE.read_text()}"


def warehouse_paths(path: str | os.PathLike | None = None) -> WarehousePaths:
    """The warehouse at ``path``, else ``WAREHOUSE_PATH``, else ``data/warehouse.duckdb``; the
    ETL's own files in ``WAREHOUSE_WORK_DIR`` when set."""
    raw = path or os.environ.get("WAREHOUSE_PATH", "").strip() or DEFAULT_WAREHOUSE_PATH
    link = Path(raw).expanduser().absolute()
    work = os.environ.get("WAREHOUSE_WORK_DIR", "").strip()
    return WarehousePaths(
        link=link,
        home=link.with_name(link.name + ".d"),
        work_dir=Path(work).expanduser().absolute() if work else None,
    )
