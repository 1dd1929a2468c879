"""The DuckDB warehouse: where it lives, and how readers (pages, SQL tools) open it.

Layout, for ``WAREHOUSE_PATH`` = ``data/warehouse.duckdb`` (the default):

- ``data/warehouse.duckdb`` — a symbolic link to the newest complete snapshot. Any SQL tool can
  open it read-only; the dashboard does.
- ``data/warehouse.duckdb.d/snapshots/wh-<run>.duckdb`` — published snapshots (marts and the
  intermediate tables behind them, dims, run log, quarantine). Written once, never changed
  after publishing; the oldest are removed.
- ``data/warehouse.duckdb.d/base.duckdb`` — the ETL's own working database (landing, staging,
  facts). Only the ETL process opens it, so readers never meet its write lock.

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
    home: Path  # everything else of the warehouse

    @property
    def base(self) -> Path:
        return self.home / "base.duckdb"

    @property
    def snapshots(self) -> Path:
        return self.home / "snapshots"

    @property
    def lock(self) -> Path:
        return self.home / "etl.lock"


def warehouse_paths(path: str | os.PathLike | None = None) -> WarehousePaths:
    """The warehouse at ``path``, else ``WAREHOUSE_PATH``, else ``data/warehouse.duckdb``."""
    raw = path or os.environ.get("WAREHOUSE_PATH", "").strip() or DEFAULT_WAREHOUSE_PATH
    link = Path(raw).expanduser().absolute()
    return WarehousePaths(link=link, home=link.with_name(link.name + ".d"))
