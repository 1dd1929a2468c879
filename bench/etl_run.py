"""Benchmark: the ETL at brokerage scale, end to end, against PostgreSQL's own COPY.

    python bench/etl_run.py            # needs the data set of bench/demo_generation.py postgresql

In one run, on a copy of the brokerage-scale CRM (``starboard_bench``, copied to
``starboard_bench_etl`` so the original stays untouched):
1. the limit: PostgreSQL's binary ``COPY (SELECT <columns>) TO STDOUT`` of every CRM table into
   /dev/null, one table after another on one connection;
2. ``python -m etl run --full``: extraction + load + staging + marts + published snapshot;
3. 1 % of the rows of every table changed (a value the marts read, every 100th id, so spread
   over all 180 days), then ``python -m etl run`` (incremental), and its yardstick: PostgreSQL's
   binary COPY of the changed rows into /dev/null; with ``--repeat N``, that run N times in
   all, each on a fresh copy of the same changed CRM and of the full run's warehouse (one run
   moves by seconds on a shared VM: the median and every try are reported);
4. 30 s of a busy floor (``crm simulate --rate 50``), then ``python -m etl run`` again: what
   the watch loop meets every 30 s;
5. the same in one process with the base held open (``etl watch``): a second 1 % change, then
   30 s of the floor; the second change's yardstick is a COPY of its rows from a copy of the
   CRM nobody has read yet (the first read of rows a mass UPDATE spread over every page costs
   PostgreSQL seconds), and again (a read after the first);
6. every page query in warehouse/queries, warm (median of 5 after one untimed run).
Each ETL run is its own process; its peak memory is its own. Results: bench/results/etl_run.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import psycopg.sql

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crm import live  # noqa: E402
from crm.models import Base  # noqa: E402
from warehouse import warehouse_paths  # noqa: E402
from warehouse.reader import Warehouse  # noqa: E402

SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
SOURCE_DB, COPY_DB = "starboard_bench", "starboard_bench_etl"
# The copy just after the 1 % change, and the database each repeat of the run starts from.
CHANGED_DB, REPEAT_DB = "starboard_bench_etl_changed", "starboard_bench_etl_again"
SIMULATED_RATE = 50  # the simulator's --rate, events a second: a busy floor


def copy_out(url: str, where: str = "", tables=None) -> float:
    """Seconds for PostgreSQL to COPY the rows of ``tables`` (every CRM table) that match
    ``where`` out in binary, one table after another on one connection, read and thrown away."""
    started = time.perf_counter()
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        for table in tables or Base.metadata.sorted_tables:
            columns = ", ".join(f'"{c.name}"' for c in table.columns)
            query = f'SELECT {columns} FROM "{table.name}" {where}'
            with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT binary)") as copy:
                # Read to the end, kept nowhere: what the COPY costs, not what storing it would.
                sum(len(block) for block in copy)
    return time.perf_counter() - started


def copy_baseline(url: str) -> float:
    """Seconds for PostgreSQL to COPY every CRM table out in binary, read and thrown away."""
    return copy_out(url)


def copy_changed_rows(url: str, since: datetime) -> tuple[float, int]:
    """The incremental run's yardstick: seconds for PostgreSQL to COPY out, in binary, the rows
    of every CRM table with ``updated_at`` at or after ``since`` (the rows an incremental run
    must read), read and thrown away; and how many rows that is (counted after the timing)."""
    tables = [t for t in Base.metadata.sorted_tables if "updated_at" in t.c]
    with psycopg.connect(url) as connection:
        stamp = psycopg.sql.Literal(since).as_string(connection)
        where = f"WHERE updated_at >= {stamp}"
        seconds = copy_out(url, where, tables)
        rows = sum(
            connection.execute(f'SELECT count(*) FROM "{t.name}" {where}').fetchone()[0]
            for t in tables
        )
    return seconds, rows


def etl(url: str, warehouse: Path, *args: str) -> tuple[float, str]:
    env = {**os.environ, "CRM_DATABASE_URL": url, "WAREHOUSE_PATH": str(warehouse)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "etl", "run", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"etl run {' '.join(args)} failed:\n{done.stderr}")
    return time.perf_counter() - started, done.stdout.strip()


# What "changed" means per table: a value the marts read, so that every changed row moves a
# figure (a row written again with the same values would move nothing).
CONTENT_CHANGES = {
    "leads": "balance = balance + 1",
    "platform_sessions": "last_seen_at = last_seen_at + interval '1 second'",
    "calls": "duration_s = duration_s + 1",
    "deposit_attempts": "amount_usd = amount_usd + 0.01",
    "notes": "body = body || '.'",
    "assignments": "note = coalesce(note, '') || '.'",
    "email_outbox": "sent_at = sent_at + interval '1 second'",
    "support_tickets": "subject = subject || '.'",
    "target_board_entries": "amount_usd = amount_usd + 0.01",
}


def change_one_percent(url: str, shift: int = 7) -> int:
    """1 % of the rows of every table, spread over all its history (every 100th id)."""
    changed = 0
    with psycopg.connect(url) as connection:
        for table in Base.metadata.sorted_tables:
            if "id" not in table.c or "updated_at" not in table.c:
                continue
            change = CONTENT_CHANGES.get(table.name, "")
            changed += connection.execute(
                f'UPDATE "{table.name}" SET {change}{", " if change else ""}'
                f"updated_at = clock_timestamp() WHERE id % 100 = {shift}"
            ).rowcount
    return changed


def simulate_floor(url: str) -> None:
    """30 s of a busy floor: what the watch loop meets between two runs."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "crm",
            "simulate",
            "--rate",
            str(SIMULATED_RATE),
            "--seconds",
            "30",
            "--seed",
            "7",
        ],
        cwd=REPO,
        check=True,
        env={**os.environ, "CRM_DATABASE_URL": url},
        capture_output=True,
    )


def copy_database(target: str, template: str) -> str:
    """``target`` made anew as a copy of the database ``template``; returns its URL.

    Copied file by file, with a checkpoint before and after: PostgreSQL's default copies through
    its write-ahead log, whose 6 GB its checkpointer then writes out while the next ETL run is
    being timed."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {target} TEMPLATE {template} STRATEGY FILE_COPY")
        admin.execute("CHECKPOINT")
    return f"{SERVER}/{target}"


def copy_warehouse(source: Path, target: Path) -> Path:
    """Copy the warehouse at ``source`` (its link and folder) to the folder ``target``."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(f"{source}.d", target / f"{source.name}.d")
    os.symlink(os.readlink(source), target / source.name)
    return target / source.name


def keep_for_repeats(url: str, warehouse: Path) -> Path:
    """Keep the CRM just after the 1 % change (a template database) and the warehouse as the
    full run left it, so that the incremental run can be tried again on the same state."""
    copy_database(CHANGED_DB, template=COPY_DB)
    return copy_warehouse(warehouse, warehouse.parent / "kept")


def repeated_runs(times: int, kept: Path, scratch: Path) -> list[dict]:
    """The incremental run after the 1 % change again, each time from the kept state (the
    warehouse copied to the folder ``scratch``)."""
    runs = []
    for _ in range(times):
        url = copy_database(REPEAT_DB, template=CHANGED_DB)
        runs.append(run_seconds(*etl(url, copy_warehouse(kept, scratch))))
    return runs


def run_seconds(wall_s: float, line: str) -> dict:
    """A run's wall time and, from its summary line, its time in run and until published."""
    in_run, published = re.search(r" in ([\d.]+) s \(published after ([\d.]+) s\)", line).groups()
    return {"wall_s": round(wall_s, 2), "in_run_s": float(in_run), "published_s": float(published)}


def held_open_runs(url: str, warehouse: Path) -> dict:
    """Incremental runs in one process with the base held open, as ``etl watch`` runs them."""
    from etl.extract import CrmSource
    from etl.run import Loader

    source = CrmSource(url)
    result = {}
    try:
        with Loader(warehouse_paths(warehouse)) as loader:
            loader.run(source)  # the watch loop's previous run
            with psycopg.connect(url) as connection:
                changed_since = connection.execute("SELECT clock_timestamp()").fetchone()[0]
            result["held_open_changed_rows"] = change_one_percent(url, shift=13)
            # The yardstick, read first as the run reads it: a copy of the CRM as the second
            # change left it (file by file: nobody has read the new rows yet). This change lands
            # in pages all over each table (the first one's dead rows made room), and the first
            # read of them costs PostgreSQL seconds that later reads do not.
            source.close()  # a database with open connections cannot be copied
            first_read = copy_database(REPEAT_DB, template=COPY_DB)
            source = CrmSource(url)
            for label in ("held_open_incremental", "held_open_after_30s_simulated"):
                if label == "held_open_after_30s_simulated":
                    simulate_floor(url)
                summary = loader.run(source)
                result[f"{label}_s"] = round(summary.seconds, 2)
                result[f"{label}_published_s"] = round(summary.published_after, 2)
                result[label] = summary.line()
    finally:
        source.close()
    copy_s, _ = copy_changed_rows(first_read, changed_since)
    result["held_open_copy_changed_first_read_s"] = round(copy_s, 2)
    copy_s, _ = copy_changed_rows(first_read, changed_since)
    result["held_open_copy_changed_second_read_s"] = round(copy_s, 2)
    return result


def pages_b_cases(today, now) -> dict[str, tuple[str, dict]]:
    """The queries of the star board, support issues, log report, payment options log, target
    board and the sales dashboard's AM filter and funnel."""
    minute = now.replace(second=0, microsecond=0)
    hours = dict(now=minute, first_minute=540, end_minute=1200)
    month = dict(first_day=today - timedelta(days=29), last_day=today)
    week = dict(first_day=today - timedelta(days=6), last_day=today)
    return {
        "agents_in_range (30 days, one AM)": (
            "agents_in_range",
            dict(**month, team_id=None, am_id=20),
        ),
        "funnel (30 days, all)": ("funnel", dict(**month, team_id=None, am_id=None)),
        "funnel (30 days, one AM)": ("funnel", dict(**month, team_id=None, am_id=20)),
        "starred_per_am (all)": ("starred_per_am", dict(**hours, team_id=None, am_id=None)),
        "starred_leads (all, 2000)": (
            "starred_leads",
            dict(**hours, team_id=None, am_id=None, limit=2000),
        ),
        "starred_leads (one team)": (
            "starred_leads",
            dict(**hours, team_id=1, am_id=None, limit=2000),
        ),
        "my_leads (one AM, 1000)": ("my_leads", dict(**hours, am_id=20, lead_ids=[], limit=1000)),
        "support_counts": ("support_counts", dict(now=minute, owner_id=None, unowned=False)),
        "support_tickets_open (all, 1000)": (
            "support_tickets_open",
            dict(
                now=minute,
                priorities=["urgent", "high", "normal", "low"],
                owner_id=None,
                unowned=False,
                oldest_first=False,
                limit=1000,
            ),
        ),
        "support_owners": ("support_owners", {}),
        "activity_days (7 days, all, 10000)": (
            "activity_days",
            dict(**week, team_id=None, am_id=None, limit=10_000),
        ),
        "activity_totals (30 days)": ("activity_totals", dict(**month, team_id=None, am_id=None)),
        "activity_events (one AM, yesterday)": (
            "activity_events",
            dict(am_id=20, day=today - timedelta(days=1), limit=2000),
        ),
        "payment_totals (7 days)": ("payment_totals", dict(**week, method=None)),
        "payment_methods (7 days)": ("payment_methods", dict(**week, method=None)),
        "payment_attempts (7 days, 1000)": (
            "payment_attempts",
            dict(**week, method=None, status=None, limit=1000),
        ),
        "target_board (today)": (
            "target_board",
            dict(day=today, now=now, team_id=None, am_id=None),
        ),
        "target_totals (today)": (
            "target_totals",
            dict(day=today, now=now, team_id=None, am_id=None),
        ),
    }


def page_query_cases(today, now, lead_ids=tuple(range(1, 51))) -> dict[str, tuple[str, dict]]:
    """Every page query in warehouse/queries, with the parameters its page passes: label →
    (query, parameters). ``lead_ids``: the leads an action form looks up (leads_by_id)."""
    cases = {
        "agents_in_range (30 days, all teams)": (
            "agents_in_range",
            dict(first_day=today - timedelta(days=29), last_day=today, team_id=None, am_id=None),
        ),
        "agents_in_range (today, one team)": (
            "agents_in_range",
            dict(first_day=today, last_day=today, team_id=1, am_id=None),
        ),
        "kpa_days (35 days)": (
            "kpa_days",
            dict(first_day=today - timedelta(days=34), last_day=today),
        ),
        "freshness": ("freshness", {}),
        **pages_b_cases(today, now),
    }
    # The lead pages and deposit reviews (pages-a): each cuts to 1,000 rows and counts the rest.
    clock = dict(now=now.replace(second=0, microsecond=0), first_minute=540, end_minute=1200)
    report = dict(team_id=None, am_id=None, desk=None, status=None, search=None, new_leads=False)
    scope = dict(team_id=None, am_id=None, limit=1000, **clock)
    week = dict(first_day=today - timedelta(days=6), last_day=today)
    midnight = datetime.combine(today, datetime.min.time(), tzinfo=timezone.utc)
    cases.update(
        {
            "leads_report (all)": ("leads_report", {**report, **scope}),
            "leads_report (one team)": ("leads_report", {**report, **scope, "team_id": 1}),
            "leads_report (new leads)": ("leads_report", {**report, **scope, "new_leads": True}),
            "leads_report (name search)": ("leads_report", {**report, **scope, "search": "ana"}),
            "leads_online": ("leads_online", scope),
            "leads_last_logged_in (recent, 7 days)": (
                "leads_last_logged_in",
                dict(view="recent", days=7, **scope),
            ),
            "leads_last_logged_in (old conversion, 30 days)": (
                "leads_last_logged_in",
                dict(view="old_conversion", days=30, **scope),
            ),
            "leads_last_logged_in (retention)": (
                "leads_last_logged_in",
                dict(view="retention", days=0, **scope),
            ),
            "failed_deposits (7 days)": (
                "failed_deposits",
                dict(open_only=False, **week, **scope),
            ),
            "new_deposits (self, 7 days)": ("new_deposits", dict(kind="self", **week, **scope)),
            "new_deposits (owned, 7 days)": ("new_deposits", dict(kind="owned", **week, **scope)),
            "lead_total": ("lead_total", {}),
            "leads_by_id (an action form's leads)": (
                "leads_by_id",
                dict(lead_ids=list(lead_ids), **clock),
            ),
            # The filters' choices and the sales dashboard's tiles and daily progress.
            "teams": ("teams", {}),
            "account_managers (all)": ("account_managers", dict(team_id=None)),
            "calling_hours": ("calling_hours", {}),
            "sales_totals (30 days)": (
                "sales_totals",
                dict(
                    first_day=today - timedelta(days=29), last_day=today, team_id=None, am_id=None
                ),
            ),
            "team_days (30 days)": (
                "team_days",
                dict(
                    first_day=today - timedelta(days=29), last_day=today, team_id=None, am_id=None
                ),
            ),
            # Issue 23: today so far against yesterday to the same minute; credit; FTD flags.
            "kpa_window (yesterday to now's minute)": (
                "kpa_window",
                dict(start=midnight - timedelta(days=1), end=now - timedelta(days=1)),
            ),
            "sales_window (today so far, all teams)": (
                "sales_window",
                dict(start=midnight, end=now, team_id=None, am_id=None),
            ),
            "deposit_credit (7 days)": ("deposit_credit", week),
            "ftd_disagreements (7 days)": ("ftd_disagreements", week),
            # Issue 23: who is behind today, and the day hour by hour against a typical day.
            "am_today (all teams)": (
                "am_today",
                dict(day=today, day_start=midnight, now=now, team_id=None, am_id=None),
            ),
            "calls_by_hour (all teams)": (
                "calls_by_hour",
                dict(
                    day_start=midnight,
                    before=tuple(midnight - timedelta(weeks=n) for n in range(1, 5)),
                    now=now,
                    team_id=None,
                    am_id=None,
                ),
            ),
        }
    )
    return cases


def page_queries(warehouse: Path) -> dict[str, float]:
    reader = Warehouse(warehouse_paths(warehouse))
    cases = page_query_cases(datetime.now(timezone.utc).date(), datetime.now(timezone.utc))
    timings = {}
    for label, (name, params) in cases.items():
        reader.query(name, tables=live.no_live_rows(), **params)
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            reader.query(name, tables=live.no_live_rows(), **params)
            runs.append(time.perf_counter() - started)
        timings[label] = round(statistics.median(runs) * 1000, 1)
    reader.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--keep", type=Path, help="copy the warehouse here afterwards (for bench/pages.py)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the incremental run after the 1 %% change this many times, each on a fresh "
        "copy of the same CRM and warehouse (one run moves by seconds on a shared VM)",
    )
    args = parser.parse_args()
    url = copy_database(COPY_DB, template=SOURCE_DB)
    # The data set may predate the latest migrations: bring the copy up to this code.
    subprocess.run(
        [sys.executable, "-m", "crm", "init"],
        cwd=REPO,
        check=True,
        env={**os.environ, "CRM_DATABASE_URL": url},
        capture_output=True,
    )
    with psycopg.connect(url) as connection:
        rows = sum(
            connection.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0]
            for t in Base.metadata.sorted_tables
        )
    copy_s = copy_baseline(url)
    with tempfile.TemporaryDirectory(
        dir=REPO / "data" if (REPO / "data").exists() else None
    ) as tmp:
        warehouse = Path(tmp) / "warehouse.duckdb"
        full_s, full_line = etl(url, warehouse, "--full")
        full_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        with psycopg.connect(url) as connection:
            changed_since = connection.execute("SELECT clock_timestamp()").fetchone()[0]
        changed = change_one_percent(url)
        if args.repeat > 1:
            kept = keep_for_repeats(url, warehouse)
        incremental_s, incremental_line = etl(url, warehouse)
        # After the run, not before: the first read of rows an UPDATE has just rewritten costs
        # PostgreSQL more (hint bits), and the ETL is the one that pays it.
        copy_changed_s, copy_changed_rows_n = copy_changed_rows(url, changed_since)
        # What the watch loop meets every 30 s: half a minute of a busy floor.
        simulate_floor(url)
        watch_s, watch_line = etl(url, warehouse)
        # The same two steps as the watch loop meets them: one process, the base held open
        # between runs (etl.run.Loader), after a first run that found nothing new.
        held = held_open_runs(url, warehouse)
        queries = page_queries(warehouse)
        repeats = [run_seconds(incremental_s, incremental_line)]
        if args.repeat > 1:
            repeats += repeated_runs(args.repeat - 1, kept, Path(tmp) / "again")
        snapshot_mb = os.path.getsize(os.path.realpath(warehouse)) / 2**20
        base_mb = os.path.getsize(Path(f"{warehouse}.d") / "base.duckdb") / 2**20
        if args.keep:
            shutil.copytree(Path(tmp), args.keep, symlinks=True, dirs_exist_ok=True)
    result = {
        "benchmark": "etl_run",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {os.cpu_count()} cores {platform.machine()}",
        "crm_rows": rows,
        "copy_to_devnull_s": round(copy_s, 2),
        "full_run_s": round(full_s, 2),
        "full_run_x_copy": round(full_s / copy_s, 2),
        "full_run_peak_mb": round(full_mb),
        "full_run": full_line,
        "changed_rows": changed,
        "copy_changed_rows_s": round(copy_changed_s, 2),
        "copy_changed_rows": copy_changed_rows_n,
        "incremental_run_s": round(incremental_s, 2),
        "incremental_run_x_copy_changed": round(incremental_s / copy_changed_s, 1),
        "incremental_run": incremental_line,
        "incremental_run_repeats": repeats,
        "incremental_run_median_in_run_s": statistics.median(r["in_run_s"] for r in repeats),
        "incremental_after_30s_simulated_s": round(watch_s, 2),
        "incremental_after_30s_simulated": watch_line,
        **held,
        "snapshot_mb": round(snapshot_mb),
        "base_mb": round(base_mb),
        "page_queries_warm_ms": queries,
    }
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        for database in (COPY_DB, CHANGED_DB, REPEAT_DB):
            admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    print(json.dumps(result, indent=2))
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "etl_run.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
