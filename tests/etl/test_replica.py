"""The ETL reads a real PostgreSQL streaming replica (CRM_REPLICA_URL), issue 27.

A primary of our own (initdb: a copy of the machine's cluster would carry every other
database on it) on a free port, and its replica made with ``pg_basebackup -R`` on another,
both run by the Debian binaries as the ``postgres`` user (PostgreSQL refuses root). The small
hand-built CRM is written to the primary only; the ETL reads the replica, and its warehouse
must be the one a run on the primary builds. A replica that stops replaying fails the run
instead of publishing data older than the run says.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from etl.extract import CrmSource
from etl.run import run_etl
from tests.conftest import migrate_to_head
from tests.etl.small_crm import AS_OF, build_small_crm
from warehouse import warehouse_paths
from warehouse.reader import Warehouse

pytestmark = pytest.mark.postgres

BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres(*command: str) -> None:
    runner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    done = subprocess.run([*runner, *command], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"{command[0]}: {done.stderr or done.stdout}"


class Cluster:
    def __init__(self, bin_dir: Path, folder: Path, name: str):
        self.bin = bin_dir
        self.data = folder / name
        self.folder = folder
        self.port = _free_port()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self, *settings: str) -> None:
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.folder}",
                *(f"-c {s}" for s in settings),
            ]
        )
        _as_postgres(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            f"{self.data}.log",
            "-w",
            "start",
        )

    def stop(self) -> None:
        _as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")


@pytest.fixture(scope="module")
def replicated():
    """(primary, replica): a primary with the small CRM in database ``crm``, and its streaming
    replica, caught up."""
    if not BINARIES:
        pytest.skip(
            "no PostgreSQL server binaries in /usr/lib/postgresql (apt-get install postgresql)"
        )
    bin_dir = BINARIES[-1].parent
    folder = Path(tempfile.mkdtemp(prefix="starboard-replica-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    primary, replica = Cluster(bin_dir, folder, "primary"), Cluster(bin_dir, folder, "replica")
    started = []
    try:
        # initdb's pg_hba.conf lets 127.0.0.1 connect and replicate with -A trust.
        _as_postgres(
            str(bin_dir / "initdb"),
            "-D",
            str(primary.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
        )
        primary.start("wal_level=replica", "max_wal_senders=4", "fsync=off")
        started.append(primary)
        _as_postgres(
            str(bin_dir / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(replica.data),
            "-R",
        )
        replica.start("hot_standby=on", "fsync=off")
        started.append(replica)
        # Written to the primary after the copy: it reaches the replica by streaming.
        with psycopg.connect(primary.url(), autocommit=True) as admin:
            admin.execute("CREATE DATABASE crm")
        migrate_to_head(primary.url("crm"))
        from crm.db import create_crm_engine

        engine = create_crm_engine(primary.url("crm"))
        build_small_crm(engine)
        engine.dispose()
        yield primary, replica
    finally:
        for cluster in reversed(started):
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _tables(link: Path, *names: str) -> dict:
    reader = Warehouse(warehouse_paths(link))
    try:
        return {
            name: reader.sql(f"select * from {name} order by all").to_pylist() for name in names
        }
    finally:
        reader.close()


def test_the_etl_reads_the_replica_and_builds_the_primarys_warehouse(replicated, tmp_path):
    primary, replica = replicated
    from_replica = CrmSource(replica.url("crm"), primary=primary.url("crm"))
    try:
        summary = run_etl(from_replica, warehouse_paths(tmp_path / "r.duckdb"), now=lambda: AS_OF)
    finally:
        from_replica.close()
    from_primary = CrmSource(primary.url("crm"))
    try:
        run_etl(from_primary, warehouse_paths(tmp_path / "p.duckdb"), now=lambda: AS_OF)
    finally:
        from_primary.close()

    marts = ("mart_lead_priority", "mart_payments", "mart_agent_daily", "mart_activity_log")
    read = _tables(tmp_path / "r.duckdb", *marts)
    assert read == _tables(tmp_path / "p.duckdb", *marts)
    assert len(read["mart_lead_priority"]) == 4  # the small CRM's leads, the bad row quarantined
    # The lag is the wait for the replica to replay what the primary had written: a moment.
    assert summary.replica_lag is not None and 0 <= summary.replica_lag < 30
    assert "replica" in summary.line()
    freshness = _tables(tmp_path / "r.duckdb", "etl_runs")["etl_runs"]
    assert freshness[-1]["replica_lag_s"] == pytest.approx(summary.replica_lag)


def test_a_replica_that_stopped_replaying_fails_the_run(replicated, tmp_path):
    # On the real clock: the change below is stamped now.
    primary, replica = replicated
    link = tmp_path / "w.duckdb"
    source = CrmSource(replica.url("crm"), primary=primary.url("crm"), replica_wait=1)
    try:
        first = run_etl(source, warehouse_paths(link))
        with psycopg.connect(replica.url(), autocommit=True) as standby:
            standby.execute("SELECT pg_wal_replay_pause()")
            try:
                with psycopg.connect(primary.url("crm"), autocommit=True) as crm:
                    crm.execute(
                        "UPDATE leads SET status = 'contacted', updated_at = now() WHERE id = 4"
                    )
                started = time.monotonic()
                with pytest.raises(Exception, match="replica is more than 1 s behind"):
                    run_etl(source, warehouse_paths(link))
                assert time.monotonic() - started >= 1
            finally:
                standby.execute("SELECT pg_wal_replay_resume()")
        # Nothing was published: readers still have the first run's snapshot.
        assert os.path.realpath(link) == str(first.snapshot)
        caught_up = run_etl(source, warehouse_paths(link))
    finally:
        source.close()
    statuses = _tables(link, "mart_lead_priority")["mart_lead_priority"]
    assert [row["status"] for row in statuses if row["lead_id"] == 4] == ["contacted"]
    assert caught_up.replica_lag is not None
