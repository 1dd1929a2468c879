"""./start's set-up: a fresh CRM gets the demo and a warehouse; a second start keeps both."""

from __future__ import annotations

import os
import subprocess
import sys

import sqlalchemy as sa

from crm.db import create_crm_engine
from tests.conftest import REPO_ROOT


def start(crm_url: str, warehouse: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CRM_DATABASE_URL": crm_url, "WAREHOUSE_PATH": warehouse}
    return subprocess.run(
        [sys.executable, "starboard_launcher.py", *args], cwd=REPO_ROOT, env=env,
        capture_output=True, text=True, timeout=300,
    )


def lead_count(url: str) -> int:
    engine = create_crm_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT count(*) FROM leads")).scalar_one()
    finally:
        engine.dispose()


def test_first_start_builds_the_demo_and_the_warehouse_and_a_second_keeps_them(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    warehouse = tmp_path / "warehouse.duckdb"
    first = start(url, str(warehouse), "--leads", "40", "--days", "5")
    assert first.returncode == 0, first.stderr
    assert lead_count(url) == 40
    assert warehouse.is_symlink() and warehouse.resolve().is_file()
    published = warehouse.resolve()

    second = start(url, str(warehouse), "--leads", "99")
    assert second.returncode == 0, second.stderr
    assert lead_count(url) == 40  # the CRM that had leads was kept as it was
    assert "already holds 40 leads" in second.stdout
    assert warehouse.resolve() != published  # and the warehouse caught up with it again


def test_no_demo_leaves_an_empty_crm_empty(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    result = start(url, str(tmp_path / "warehouse.duckdb"), "--no-demo")
    assert result.returncode == 0, result.stderr
    assert lead_count(url) == 0
