"""Benchmark: extraction + load of the CRM into DuckDB, against PostgreSQL's own binary COPY.

    python bench/etl_extract.py                # ~8 minutes; needs bench/demo_generation.py's
                                               # brokerage-scale data set (starboard_bench)
    python bench/etl_extract.py --rounds 5     # more repetitions on a noisy machine
    python bench/etl_extract.py --sqlite FILE  # the same on a SQLite CRM (`crm demo` writes one)

Measured in one run, each method in its own process in turn (its peak memory is its own,
from ``wait4``), on every CRM table the data set holds (read only):

- ``copy``: the limit for one connection: ``COPY (SELECT <the same columns> FROM t) TO STDOUT
  (FORMAT binary)`` per table, one connection, read through psycopg and thrown away;
- ``land``: ``etl.extract.CrmSource.land`` of every table into a new DuckDB file (the method
  the ETL uses: ADBC, parallel block-range streams), ended by a CHECKPOINT; DuckDB's
  ``memory_limit`` is 512MB (its buffer pool would otherwise keep the blocks it writes, up to
  80 % of RAM);
- ``land_1_stream``: the same with one stream per table (plain ADBC), for comparison;
- ``pandas``: ``pandas.read_sql`` through SQLAlchemy, then into DuckDB, and the COPY of the same
  rows: on a fixed sample of the biggest table only, since the whole data set would take
  tens of minutes and tens of GB in pandas;
- ``incremental``: ``land(since=...)`` of every table after 1 % of the biggest table's rows were
  touched, in a copy of the data set (``etl_extract_<pid>``, dropped at the end); the plan
  PostgreSQL makes for that read (the time written in as a literal), and the index scans it
  counted.

``copy`` and ``land`` alternate for ``--rounds`` rounds; the medians are compared, and each land
with the copy of its round. These machines are shared: each run waits (up to 30 s, 150 s in
all) for other work to quieten, and reports CPU seconds, the client's (from ``wait4``), the
PostgreSQL backends' (from /proc/<pid>/stat, same machine) and other work's (from /proc/stat),
which tells a noisy wall time from a slow method.
Results: bench/results/etl_extract.json and a printed table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from importlib.metadata import version
from pathlib import Path

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crm.models import Base  # noqa: E402

SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("BENCH_PG_DATABASE", "starboard_bench")
DUCKDB_MEMORY_LIMIT = "512MB"
TOUCHED_SHARE = 100  # 1 row in 100
WINDOW = timedelta(minutes=5)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- the methods, each run in a child process ----------------------------------------------------


def tables_in(url: str) -> list:
    """The CRM tables this database holds (an older data set may lack the newest ones)."""
    if url.startswith("sqlite:"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            present = {
                name
                for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                )
            }
    else:
        with psycopg.connect(url) as connection:
            present = {
                name
                for (name,) in connection.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                )
            }
    return [table for table in Base.metadata.sorted_tables if table.name in present]


def backend_cpu(pids) -> float | None:
    """CPU seconds the PostgreSQL backends ``pids`` have used (readable when on this machine)."""
    try:
        total = 0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return round(total / CLOCK_TICKS, 2)
    except (OSError, IndexError, ValueError):
        return None


def columns_of(table) -> str:
    return ", ".join(f'"{c.name}"' for c in table.columns)


def run_copy(url: str, where: str | None = None, only: str | None = None) -> dict:
    tables, per_table = tables_in(url), {}
    started = time.perf_counter()
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        pid = connection.info.backend_pid
        for table in tables:
            if only and table.name != only:
                continue
            began, size = time.perf_counter(), 0
            query = f'SELECT {columns_of(table)} FROM "{table.name}"'
            if where:
                query += f" WHERE {where}"
            with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT binary)") as copy:
                for block in copy:
                    size += len(block)
            per_table[table.name] = {
                "seconds": round(time.perf_counter() - began, 2),
                "mb": round(size / 2**20),
            }
        server_cpu = backend_cpu([pid])
    return {
        "seconds": time.perf_counter() - started,
        "tables": per_table,
        "server_cpu_s": server_cpu,
    }


def run_land(url: str, streams: int, since: str | None = None) -> dict:
    import duckdb

    from etl.extract import CrmSource

    app = f"etl-extract-bench-{os.getpid()}"
    since_at = datetime.fromisoformat(since) if since else None
    with tempfile.TemporaryDirectory() as workdir:
        duck = duckdb.connect(str(Path(workdir) / "landing.duckdb"))
        # What bounds DuckDB's share of the memory: its buffer pool keeps every block it writes
        # otherwise, up to 80 % of RAM by default.
        duck.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
        sqlite = url.startswith("sqlite:")
        source = CrmSource(url if sqlite else f"{url}?application_name={app}", streams=streams)
        per_table = {}
        started = time.perf_counter()
        for table in tables_in(url):
            if since_at is not None and "updated_at" not in table.c:
                continue  # read whole or not at all by the ETL: no changes to read by time
            began = time.perf_counter()
            rows = source.land(duck, table, table.name, since=since_at)
            per_table[table.name] = {"seconds": round(time.perf_counter() - began, 2), "rows": rows}
        duck.execute("CHECKPOINT")
        seconds = time.perf_counter() - started
        server_cpu = None
        if not sqlite:
            with psycopg.connect(url) as connection:
                pids = [
                    pid
                    for (pid,) in connection.execute(
                        "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [app]
                    )
                ]
            server_cpu = backend_cpu(pids)
        source.close()
        size = (Path(workdir) / "landing.duckdb").stat().st_size
        duck.close()
    return {
        "seconds": seconds,
        "tables": per_table,
        "server_cpu_s": server_cpu,
        "rows": sum(t["rows"] for t in per_table.values()),
        "duckdb_mb": round(size / 2**20),
    }


def run_pandas(url: str, only: str | None, where: str | None) -> dict:
    import duckdb
    import pandas as pd
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    rows = 0
    with tempfile.TemporaryDirectory() as workdir:
        duck = duckdb.connect(str(Path(workdir) / "pandas.duckdb"))
        started = time.perf_counter()
        for table in tables_in(url):
            if only and table.name != only:
                continue
            query = f'SELECT {columns_of(table)} FROM "{table.name}"'
            frame = pd.read_sql(sa.text(query + (f" WHERE {where}" if where else "")), engine)
            duck.register("frame", frame)
            rows += duck.execute(f'CREATE TABLE "{table.name}" AS SELECT * FROM frame').fetchall()[
                0
            ][0]
            duck.unregister("frame")
            del frame
        duck.execute("CHECKPOINT").fetchall()
        seconds = time.perf_counter() - started
        duck.close()
    engine.dispose()
    return {"seconds": seconds, "rows": rows}


def run_sqlite_cli(url: str) -> dict:
    """The sqlite3 shell printing every table to /dev/null: SQLite's own reading speed."""
    path = url.removeprefix("sqlite:///")
    started = time.perf_counter()
    for table in tables_in(url):
        subprocess.run(
            ["sqlite3", "-readonly", path, f'SELECT {columns_of(table)} FROM "{table.name}"'],
            stdout=subprocess.DEVNULL,
            check=True,
        )
    return {"seconds": time.perf_counter() - started}


def child(args) -> None:
    if args.child == "copy":
        result = run_copy(args.url, args.where, args.only)
    elif args.child == "land":
        result = run_land(args.url, args.streams, args.since)
    elif args.child == "sqlite_cli":
        result = run_sqlite_cli(args.url)
    else:
        result = run_pandas(args.url, args.only, args.where)
    print(json.dumps(result))


# -- the parent: runs the children in turn and reports -------------------------------------------


def busy_cpu() -> float:
    """CPU seconds the whole machine has been busy (all processes), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


QUIET_WAIT_BUDGET = {"seconds": 150.0}  # in all, so that the benchmark stays near 10 minutes


def wait_for_quiet(limit_s: float = 30, sample_s: float = 2, quiet_cores: float = 0.3) -> float:
    """Wait (at most ``limit_s``, and what is left of the budget) until other work keeps less
    than ``quiet_cores`` busy: these machines are shared. Returns the cores other work kept busy
    when the wait ended."""
    began = time.monotonic()
    deadline = began + min(limit_s, QUIET_WAIT_BUDGET["seconds"])
    while True:
        before = busy_cpu()
        time.sleep(sample_s)
        busy = (busy_cpu() - before) / sample_s
        if busy < quiet_cores or time.monotonic() > deadline:
            QUIET_WAIT_BUDGET["seconds"] -= time.monotonic() - began
            return round(busy, 2)


def measure(name: str, *args: str) -> dict:
    """Run one method in its own process; its result, wall seconds, CPU and peak memory."""
    busy_at_start = wait_for_quiet()
    busy_before = busy_cpu()
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", *args], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{name} failed (exit {process.returncode})")
    result = json.loads(output.strip().splitlines()[-1])
    result["seconds"] = round(result["seconds"], 2)
    result["client_cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
    result["peak_mb"] = round(usage.ru_maxrss / 1024)
    # What else kept the machine's 2 cores busy meanwhile: the noise in the wall time.
    result["other_cpu_s"] = round(
        busy_cpu() - busy_before - result["client_cpu_s"] - (result.get("server_cpu_s") or 0), 1
    )
    result["other_cores_busy_at_start"] = busy_at_start
    print(
        f"  {name}: {result['seconds']:.1f} s, client CPU {result['client_cpu_s']:.1f} s, "
        f"server CPU {result.get('server_cpu_s')} s, other work's CPU "
        f"{result['other_cpu_s']} s, peak {result['peak_mb']} MB",
        file=sys.stderr,
        flush=True,
    )
    return result


def admin() -> psycopg.Connection:
    return psycopg.connect(f"{SERVER}/postgres", autocommit=True)


def copy_database(name: str, attempts: int = 30) -> bool:
    """A copy of the data set to change. CREATE DATABASE ... TEMPLATE needs the template to have
    no other connection for a moment: retried for a while, as other work may be reading it."""
    with admin() as connection:
        for _ in range(attempts):
            try:
                connection.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                        sql.Identifier(name), sql.Identifier(DATABASE)
                    )
                )
                return True
            except psycopg.errors.ObjectInUse:
                time.sleep(2)
    return False


def drop_database(name: str) -> None:
    with admin() as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def index_scans(url: str, index: str) -> int:
    with psycopg.connect(url) as connection:
        connection.execute("SELECT pg_stat_clear_snapshot()")
        return connection.execute(
            "SELECT coalesce(sum(idx_scan), 0)::bigint FROM pg_stat_user_indexes "
            "WHERE indexrelname = %s",
            [index],
        ).fetchone()[0]


def incremental(biggest: str) -> dict:
    """Touch 1 % of the biggest table's rows in a copy, then read the changes of every table."""
    name = f"etl_extract_{os.getpid()}"
    url = f"{SERVER}/{name}"
    began = time.perf_counter()
    if not copy_database(name):
        return {"skipped": f"{DATABASE} was never free of other connections to copy it"}
    try:
        copied = time.perf_counter() - began
        with psycopg.connect(url, autocommit=True) as connection:
            touched = connection.execute(
                sql.SQL("UPDATE {} SET updated_at = clock_timestamp() WHERE id % {} = 0").format(
                    sql.Identifier(biggest), sql.Literal(TOUCHED_SHARE)
                )
            ).rowcount
            newest = connection.execute(
                sql.SQL("SELECT max(updated_at) FROM {}").format(sql.Identifier(biggest))
            ).fetchone()[0]
            since = newest - WINDOW
            # The plan for the extraction's query, the time written in as the ETL writes it.
            from etl.extract import _postgresql_select

            table = Base.metadata.tables[biggest]
            query = _postgresql_select(table, list(table.columns), since=since)
            plan = [line for (line,) in connection.execute("EXPLAIN " + query)]
        index = f"ix_{biggest}_updated_at"
        scans_before = index_scans(url, index)
        result = measure("incremental", "land", "--url", url, "--since", since.isoformat())
        time.sleep(1.5)  # backends report their counters as they exit
        result.update(
            {
                "table": biggest,
                "touched_rows": touched,
                "since": since.isoformat(),
                "window_minutes": WINDOW.total_seconds() / 60,
                "landed_rows_biggest": result["tables"][biggest]["rows"],
                "seconds_biggest": result["tables"][biggest]["seconds"],
                "plan": plan,
                "index_scans_counted": index_scans(url, index) - scans_before,
                "copy_database_seconds": round(copied, 1),
            }
        )
        return result
    finally:
        drop_database(name)


def table_rows(url: str) -> dict[str, int]:
    with psycopg.connect(url) as connection:
        return dict(
            connection.execute(
                "SELECT relname, n_live_tup FROM pg_stat_user_tables ORDER BY n_live_tup DESC"
            ).fetchall()
        )


def sqlite_main(path: Path, rounds: int) -> None:
    """The same comparison on a SQLite CRM: the sqlite3 shell's dump is the limit there."""
    url = f"sqlite:///{path.resolve()}"
    with sqlite3.connect(path) as connection:
        rows = {
            table.name: connection.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0]
            for table in tables_in(url)
        }
    runs = {"sqlite3_cli": [], "land": [], "pandas": []}
    for round_ in range(rounds):
        print(f"round {round_ + 1} of {rounds}", file=sys.stderr, flush=True)
        runs["sqlite3_cli"].append(measure("sqlite3 shell", "sqlite_cli", "--url", url))
        runs["land"].append(measure("land", "land", "--url", url))
    runs["pandas"].append(measure("pandas", "pandas", "--url", url))
    limit = statistics.median(r["seconds"] for r in runs["sqlite3_cli"])
    summary = {
        name: {
            "seconds_median": statistics.median(r["seconds"] for r in results),
            "seconds_runs": [r["seconds"] for r in results],
            "ratio_to_sqlite3_cli": round(
                statistics.median(r["seconds"] for r in results) / limit, 2
            ),
            "client_cpu_s_runs": [r["client_cpu_s"] for r in results],
            "other_cpu_s_runs": [r["other_cpu_s"] for r in results],
            "peak_mb": max(r["peak_mb"] for r in results),
        }
        for name, results in runs.items()
    }
    result = {
        "benchmark": "etl_extract_sqlite",
        "database": str(path),
        "rows": rows,
        "duckdb_memory_limit": DUCKDB_MEMORY_LIMIT,
        "summary": summary,
        "runs": runs,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {os.cpu_count()} cores {platform.machine()}",
        "versions": {
            package: version(package)
            for package in ("duckdb", "pyarrow", "adbc-driver-sqlite", "pandas", "sqlalchemy")
        },
    }
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "etl_extract_sqlite.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\n{sum(rows.values()):,} rows in {path}")
    print(f"{'method':<34}{'s (median)':>11}{'× sqlite3':>10}{'peak MB':>9}   runs (s)")
    labels = {
        "sqlite3_cli": "sqlite3 shell → /dev/null",
        "land": "CrmSource.land (ADBC)",
        "pandas": "pandas.read_sql",
    }
    for name, s in summary.items():
        print(
            f"{labels[name]:<34}{s['seconds_median']:>11.1f}{s['ratio_to_sqlite3_cli']:>10.2f}"
            f"{s['peak_mb']:>9}   " + ", ".join(f"{x:.1f}" for x in s["seconds_runs"])
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="copy/land repetitions (3)")
    parser.add_argument(
        "--sample-rows",
        type=int,
        default=2_000_000,
        help="rows of the biggest table for pandas.read_sql (2,000,000)",
    )
    parser.add_argument(
        "--sqlite",
        type=Path,
        metavar="FILE",
        help="measure on this SQLite CRM instead (e.g. one `crm demo` wrote)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--streams", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument("--since", help=argparse.SUPPRESS)
    parser.add_argument("--where", help=argparse.SUPPRESS)
    parser.add_argument("--only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.sqlite:
        sqlite_main(args.sqlite, args.rounds)
        return

    url = f"{SERVER}/{DATABASE}"
    rows = table_rows(url)
    biggest = next(name for name in rows if name in Base.metadata.tables)
    load_before = os.getloadavg()
    started = time.perf_counter()
    print(
        f"etl_extract: {sum(rows.values()):,} rows in {DATABASE}; biggest: {biggest}",
        file=sys.stderr,
    )

    # The copy of the data set first: it needs a moment with no other connection to it.
    print("incremental (on a copy)", file=sys.stderr, flush=True)
    changed = incremental(biggest)

    runs = {"copy": [], "land": [], "land_1_stream": []}
    for round_ in range(args.rounds):
        print(f"round {round_ + 1} of {args.rounds}", file=sys.stderr, flush=True)
        runs["copy"].append(measure("copy", "copy", "--url", url))
        runs["land"].append(measure("land", "land", "--url", url, "--streams", "2"))
        if round_ == 0:
            runs["land_1_stream"].append(
                measure("land_1_stream", "land", "--url", url, "--streams", "1")
            )

    print("pandas sample", file=sys.stderr, flush=True)
    where = f"id <= {args.sample_rows}"
    sample_copy = measure(
        "copy (sample)", "copy", "--url", url, "--only", biggest, "--where", where
    )
    sample_pandas = measure(
        "pandas (sample)", "pandas", "--url", url, "--only", biggest, "--where", where
    )

    copy_s = statistics.median(r["seconds"] for r in runs["copy"])
    # Each land against the copy of its own round, which met the same other work.
    paired = [
        round(land["seconds"] / copy["seconds"], 2)
        for land, copy in zip(runs["land"], runs["copy"], strict=True)
    ]
    summary = {
        name: {
            "seconds_median": statistics.median(r["seconds"] for r in results),
            "seconds_runs": [r["seconds"] for r in results],
            "ratio_to_copy": round(statistics.median(r["seconds"] for r in results) / copy_s, 2),
            "client_cpu_s_runs": [r["client_cpu_s"] for r in results],
            "server_cpu_s_runs": [r["server_cpu_s"] for r in results],
            "other_cpu_s_runs": [r["other_cpu_s"] for r in results],
            "peak_mb": max(r["peak_mb"] for r in results),
        }
        for name, results in runs.items()
    }
    summary["land"]["ratio_to_copy_of_same_round"] = paired
    summary["pandas_sample"] = {
        "table": biggest,
        "where": where,
        "rows": sample_pandas["rows"],
        "seconds": sample_pandas["seconds"],
        "copy_seconds": sample_copy["seconds"],
        "ratio_to_copy": round(sample_pandas["seconds"] / sample_copy["seconds"], 2),
        "client_cpu_s": sample_pandas["client_cpu_s"],
        "peak_mb": sample_pandas["peak_mb"],
    }
    result = {
        "benchmark": "etl_extract",
        "database": DATABASE,
        "rows": rows,
        "duckdb_memory_limit": DUCKDB_MEMORY_LIMIT,
        "summary": summary,
        "incremental": changed,
        "runs": runs,
        "seconds_total": round(time.perf_counter() - started),
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {os.cpu_count()} cores {platform.machine()}",
        "versions": {
            package: version(package)
            for package in (
                "duckdb",
                "pyarrow",
                "adbc-driver-postgresql",
                "psycopg",
                "pandas",
                "sqlalchemy",
            )
        },
    }
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "etl_extract.json").write_text(json.dumps(result, indent=2) + "\n")

    print(
        f"\n{'method':<34}{'s (median)':>11}{'× COPY':>8}{'client CPU s':>14}{'peak MB':>9}"
        "   runs (s)"
    )
    for name, s in summary.items():
        if name == "pandas_sample":
            label = f"pandas.read_sql ({s['rows']:,} rows)"
            print(
                f"{label:<34}{s['seconds']:>11.1f}{s['ratio_to_copy']:>8.2f}"
                f"{s['client_cpu_s']:>14.1f}{s['peak_mb']:>9}"
            )
            continue
        label = {
            "copy": "binary COPY → /dev/null",
            "land": "CrmSource.land (2 streams)",
            "land_1_stream": "CrmSource.land (1 stream)",
        }[name]
        print(
            f"{label:<34}{s['seconds_median']:>11.1f}{s['ratio_to_copy']:>8.2f}"
            f"{statistics.median(s['client_cpu_s_runs']):>14.1f}{s['peak_mb']:>9}   "
            + ", ".join(f"{x:.1f}" for x in s["seconds_runs"])
        )
    print(f"land ÷ copy of the same round: {', '.join(f'{x:.2f}' for x in paired)}")
    if "skipped" in changed:
        print(f"incremental: skipped ({changed['skipped']})")
    else:
        print(
            f"incremental: {changed['landed_rows_biggest']:,} changed rows of {biggest} in "
            f"{changed['seconds_biggest']:.2f} s; all tables {changed['seconds']:.2f} s; "
            f"plan: {changed['plan'][0].strip()}"
        )


if __name__ == "__main__":
    main()
