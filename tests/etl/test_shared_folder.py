"""The published warehouse in a folder of its own (WAREHOUSE_WORK_DIR elsewhere), as on storage
the dashboard hosts share (docs/deploy.md): the folder holds the link and the snapshots only,
the ETL's base stays in its work folder, and a reader in another process follows the link."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from etl.extract import CrmSource
from etl.run import run_etl
from tests.etl.small_crm import AS_OF
from tests.pages.conftest import build_warehouse
from warehouse import warehouse_paths

READ = (
    "from warehouse.reader import Warehouse; "
    "print(Warehouse().sql('select count(*) as n from mart_lead_priority').to_pylist()[0]['n'])"
)


def test_the_shared_folder_holds_only_what_readers_open(
    migrated_sqlite_template, tmp_path, monkeypatch
):
    crm = build_warehouse(migrated_sqlite_template, tmp_path / "crm", fill=True).parent
    shared, work = tmp_path / "shared", tmp_path / "etl-host"
    monkeypatch.setenv("WAREHOUSE_WORK_DIR", str(work))
    paths = warehouse_paths(shared / "warehouse.duckdb")
    source = CrmSource(f"sqlite:///{crm / 'crm.sqlite'}")
    try:
        first = run_etl(source, paths, now=lambda: AS_OF)
        second = run_etl(source, paths, now=lambda: AS_OF)
    finally:
        source.close()

    found = sorted(str(path.relative_to(shared)) for path in shared.rglob("*"))
    assert found == [
        "warehouse.duckdb",
        "warehouse.duckdb.d",
        "warehouse.duckdb.d/snapshots",
        f"warehouse.duckdb.d/snapshots/{first.snapshot.name}",
        f"warehouse.duckdb.d/snapshots/{second.snapshot.name}",
    ]
    assert (work / "base.duckdb").is_file()
    # A relative link: it resolves wherever the folder is mounted.
    assert not os.readlink(shared / "warehouse.duckdb").startswith("/")
    env = {**os.environ, "WAREHOUSE_PATH": str(shared / "warehouse.duckdb")}
    env.pop("WAREHOUSE_WORK_DIR")
    read = subprocess.run(
        [sys.executable, "-c", READ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert read.stdout.strip() == "4", read.stderr
