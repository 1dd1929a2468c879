"""The dashboard reads while the ETL writes: a reader never sees a half-loaded warehouse, never
meets a lock, and a killed ETL is followed by a run that completes by itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

import pytest

from crm.demo import build_demo
from tests.conftest import REPO_ROOT
from warehouse import warehouse_paths
from warehouse.reader import Warehouse

UNTIL = datetime(2026, 11, 20, 18, 0, tzinfo=timezone.utc)


def etl_process(crm_url: str, warehouse: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "CRM_DATABASE_URL": crm_url, "WAREHOUSE_PATH": warehouse}
    return subprocess.Popen(
        [sys.executable, "-m", "etl", "run", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class Watcher(threading.Thread):
    """Queries the warehouse in a loop, as a dashboard would, and records what it saw."""

    def __init__(self, reader: Warehouse):
        super().__init__(daemon=True)
        self.reader = reader
        self.seen: set[tuple] = set()
        self.errors: list[BaseException] = []
        self.queries = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                run_id, leads, deposits = (
                    self.reader.sql(
                        "SELECT (SELECT max(run_id) FROM etl_runs WHERE status = 'succeeded'), "
                        "(SELECT count(*) FROM mart_lead_priority), "
                        "(SELECT sum(amount_usd) FROM mart_payments WHERE status = 'approved')"
                    )
                    .to_pylist()[0]
                    .values()
                )
                self.seen.add((run_id, leads, deposits))
                self.queries += 1
            except BaseException as error:  # noqa: BLE001 - any failure is the finding
                self.errors.append(error)
            time.sleep(0.005)


@pytest.mark.slow
def test_killed_etl_leaves_readers_on_the_last_snapshot_and_the_next_run_recovers(
    crm_engine, tmp_path
):
    build_demo(crm_engine, leads=20_000, days=60, seed=3, until=UNTIL, progress=None)
    crm_url = crm_engine.url.render_as_string(hide_password=False)
    crm_engine.dispose()
    warehouse = str(tmp_path / "warehouse.duckdb")
    first = etl_process(crm_url, warehouse)
    assert first.wait(timeout=300) == 0, first.stderr.read()

    reader = Warehouse(warehouse_paths(warehouse))
    watcher = Watcher(reader)
    watcher.start()
    try:
        while not watcher.seen:
            time.sleep(0.01)
        before = set(watcher.seen)
        # Kill full reloads at several moments: while landing, while building, while publishing.
        for delay in (0.3, 1.0, 2.0, 3.5):
            victim = etl_process(crm_url, warehouse, "--full")
            time.sleep(delay)
            if victim.poll() is None:
                victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=60)
        seen_during_kills = set(watcher.seen)
        recovery = etl_process(crm_url, warehouse)
        assert recovery.wait(timeout=300) == 0, recovery.stderr.read()
        time.sleep(0.3)
    finally:
        watcher.stop.set()
        watcher.join()
        reader.close()

    assert watcher.errors == []
    assert watcher.queries > 50
    ((run_id, leads, deposits),) = before
    assert leads == 20_000
    # Every answer during the kills was a complete snapshot: the first, or one a killed run
    # managed to publish in full before it died, with the very same figures.
    assert {(n, usd) for _run, n, usd in seen_during_kills} == {(leads, deposits)}
    final = Warehouse(warehouse_paths(warehouse))
    try:
        runs = final.sql("SELECT run_id, status FROM etl_runs ORDER BY run_id").to_pylist()
        assert runs[-1]["status"] == "succeeded"
        assert (
            final.sql("SELECT count(*) AS n FROM mart_lead_priority").to_pylist()[0]["n"] == leads
        )
    finally:
        final.close()
    # No temporary snapshot is left behind, and only a few complete ones are kept.
    snapshots = sorted(os.listdir(tmp_path / "warehouse.duckdb.d" / "snapshots"))
    assert all(name.startswith("wh-") for name in snapshots) and len(snapshots) <= 3


def test_a_second_etl_run_at_the_same_time_is_refused_in_one_line(crm_engine, tmp_path):
    from etl.run import etl_lock

    crm_url = crm_engine.url.render_as_string(hide_password=False)
    warehouse = str(tmp_path / "warehouse.duckdb")
    with etl_lock(warehouse_paths(warehouse)):
        second = etl_process(crm_url, warehouse)
        out, err = second.communicate(timeout=120)
    assert second.returncode != 0
    assert err.strip().count("\n") == 0 and err.startswith("error: another ETL run")
    assert "Traceback" not in err


def test_etl_on_a_crm_behind_on_migrations_says_what_to_do(crm_url, tmp_path):
    proc = etl_process(crm_url, str(tmp_path / "warehouse.duckdb"))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "python -m crm init" in err and "Traceback" not in err


def test_reader_without_a_warehouse_names_the_command_that_builds_it(tmp_path):
    from warehouse.reader import WarehouseMissing

    reader = Warehouse(warehouse_paths(tmp_path / "nothing.duckdb"))
    with pytest.raises(WarehouseMissing, match="python -m etl run"):
        reader.sql("SELECT 1")
