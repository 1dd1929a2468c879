"""Benchmark: the lead page's CRM reads for one lead at 1 M leads on PostgreSQL.

    flock /work/wt/bench.lock .venv/bin/python bench/lead_page.py            # 500 random leads
    flock /work/wt/bench.lock .venv/bin/python bench/lead_page.py --leads 1000 --heaviest 50

Copies the brokerage-scale data set (``starboard_bench``, 1 M leads) to a throwaway database
(``CREATE DATABASE ... TEMPLATE``; the data set itself is never changed), brings the copy to
this branch's migration head, then times ``crm.lead_file.read_lead_file`` (the profile and
every history query of ``crm/queries/lead_*.sql`` and the calling hours, on one connection
from the pool the pages use) for random leads, and for the leads with the most history (the
most platform sessions, calls, deposit attempts and audit rows): the page's worst case. It
also times the timeline built from what was read (``dashboard.lead_timeline``), the same
reads one round trip per query (as on SQLite) right after, for comparison, and prints
each query's plan for the heaviest lead, so an index that is not used shows. Drops the copy.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crm.db import create_crm_engine  # noqa: E402
from crm.lead_file import HISTORY, QUERIES_DIR, _read_one_by_one, read_lead_file  # noqa: E402
from dashboard.lead_timeline import timeline  # noqa: E402

SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
SOURCE = os.environ.get("BENCH_PG_DATABASE", "starboard_bench")
COPY = os.environ.get("BENCH_COPY", "starboard_bench_lead_page")
TARGET_P95_MS = 50.0
WARM_UP = 50
# The history tables and their lead column: where the heaviest leads are found.
HEAVY_TABLES = ("platform_sessions", "calls", "deposit_attempts", "audit_log", "assignments")


def admin() -> psycopg.Connection:
    return psycopg.connect(f"{SERVER}/postgres", autocommit=True)


def copy_database(attempts: int = 60) -> None:
    with admin() as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(COPY))
        )
        for _ in range(attempts):
            try:
                connection.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                        sql.Identifier(COPY), sql.Identifier(SOURCE)
                    )
                )
                return
            except psycopg.errors.ObjectInUse:
                time.sleep(2)
    raise SystemExit(f"{SOURCE} was never free of other connections to copy it")


def drop_database() -> None:
    with admin() as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(COPY))
        )


def upgrade(url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "crm", "init"],
        cwd=REPO,
        env={**os.environ, "CRM_DATABASE_URL": url},
        check=True,
        capture_output=True,
        text=True,
    )
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("ANALYZE")


def busy_cores(sample_s: float = 2.0) -> float:
    """How many cores the whole machine kept busy over ``sample_s`` (from /proc/stat)."""

    def jiffies() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields) - fields[3] - fields[4], sum(fields)

    busy0, total0 = jiffies()
    time.sleep(sample_s)
    busy1, total1 = jiffies()
    return round((busy1 - busy0) / max(total1 - total0, 1) * (os.cpu_count() or 1), 2)


def wait_for_quiet(limit_s: float, quiet_cores: float = 0.5) -> float:
    """Wait (at most ``limit_s``) until other work keeps fewer than ``quiet_cores`` busy: the
    machine is shared. Returns the busy cores when the wait ended."""
    deadline = time.monotonic() + limit_s
    while True:
        busy = busy_cores()
        if busy < quiet_cores or time.monotonic() > deadline:
            return busy


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def figures(values_ms: list[float]) -> dict:
    return {
        "count": len(values_ms),
        "p50": round(statistics.median(values_ms), 2),
        "p95": round(percentile(values_ms, 0.95), 2),
        "p99": round(percentile(values_ms, 0.99), 2),
        "max": round(max(values_ms), 2),
    }


def heaviest(url: str, count: int) -> list[int]:
    """The leads with the most rows in each history table, ``count`` in all."""
    per_table = max(1, count // len(HEAVY_TABLES))
    found: list[int] = []
    with psycopg.connect(url) as connection:
        for table in HEAVY_TABLES:
            rows = connection.execute(
                sql.SQL(
                    "SELECT lead_id FROM {} WHERE lead_id IS NOT NULL GROUP BY lead_id "
                    "ORDER BY count(*) DESC LIMIT %s"
                ).format(sql.Identifier(table)),
                [per_table],
            ).fetchall()
            found += [row[0] for row in rows if row[0] not in found]
    return found


def plans(url: str, lead_id: int) -> dict[str, str]:
    """Each query's plan for ``lead_id``: its scan lines, with the time it took."""
    shown = {}
    with psycopg.connect(url) as connection:
        for name in ("lead_profile", *HISTORY):
            text = (QUERIES_DIR / f"{name}.sql").read_text().replace(":lead_id", "%(lead_id)s")
            rows = connection.execute(
                "EXPLAIN (ANALYZE, BUFFERS OFF) " + text, {"lead_id": lead_id}
            ).fetchall()
            lines = [row[0].strip() for row in rows]
            scans = [line for line in lines if "Scan" in line]
            total = [line for line in lines if line.startswith("Execution Time")]
            shown[name] = "; ".join(scan.split("  (")[0] for scan in scans) + f" | {total[0]}"
    return shown


def history_rows(engine, lead_id: int) -> int:
    file = read_lead_file(engine, lead_id)
    return sum(len(rows) for rows in file.history.values())


def measure(url: str, leads: int, heavy: int, seed: int, wait_s: float) -> dict:
    engine = create_crm_engine(url)
    with psycopg.connect(url) as connection:
        top = connection.execute("SELECT max(id) FROM leads").fetchone()[0]
    rng = random.Random(seed)
    picks = [rng.randint(1, top) for _ in range(WARM_UP + leads)]
    heavy_ids = heaviest(url, heavy)
    zone = ZoneInfo("Europe/London")

    def read(lead_id: int) -> tuple[float, float]:
        began = time.perf_counter()
        file = read_lead_file(engine, lead_id)
        read_s = time.perf_counter() - began
        if file is not None:
            timeline(file, zone)
        return 1000 * read_s, 1000 * (time.perf_counter() - began)

    def read_one_by_one(lead_id: int) -> float:
        # As SQLite reads it: a round trip per query (the PostgreSQL path before 6c28afc).
        began = time.perf_counter()
        with engine.connect() as connection:
            _read_one_by_one(connection, lead_id)
        return 1000 * (time.perf_counter() - began)

    for lead_id in picks[:WARM_UP]:
        read(lead_id)
        read_one_by_one(lead_id)
    busy_at_start = wait_for_quiet(wait_s)
    load_before = os.getloadavg()
    cpu_before = os.times()
    random_runs = [read(lead_id) for lead_id in picks[WARM_UP:]]
    heavy_runs = [read(lead_id) for lead_id in heavy_ids]
    cpu_after = os.times()
    one_by_one = [read_one_by_one(lead_id) for lead_id in picks[WARM_UP:]]
    sizes = [history_rows(engine, lead_id) for lead_id in heavy_ids]
    random_sizes = [history_rows(engine, lead_id) for lead_id in picks[WARM_UP : WARM_UP + 100]]
    engine.dispose()
    wall = cpu_after.elapsed - cpu_before.elapsed
    own = (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system) / wall
    return {
        "random_leads": {
            "reads_ms": figures([r for r, _ in random_runs]),
            "reads_and_timeline_ms": figures([t for _, t in random_runs]),
            "reads_one_by_one_ms": figures(one_by_one),
            "history_rows_median": statistics.median(random_sizes),
        },
        "heaviest_leads": {
            "reads_ms": figures([r for r, _ in heavy_runs]),
            "reads_and_timeline_ms": figures([t for _, t in heavy_runs]),
            "history_rows_median": statistics.median(sizes),
            "history_rows_max": max(sizes),
        },
        "target_p95_ms": TARGET_P95_MS,
        "busy_cores_when_started": busy_at_start,
        "client_cpu_share": round(own, 2),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "plans_for_the_heaviest_lead": plans(url, heavy_ids[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=500, help="random leads to read")
    parser.add_argument("--heaviest", type=int, default=25, help="leads with most history")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--wait", type=float, default=300, help="seconds to wait at most for a quiet machine"
    )
    args = parser.parse_args()

    url = f"{SERVER}/{COPY}"
    began = time.perf_counter()
    copy_database()
    try:
        upgrade(url)
        prepared_s = time.perf_counter() - began
        with psycopg.connect(url) as connection:
            lead_count = connection.execute("SELECT count(*) FROM leads").fetchone()[0]
        result = {
            "benchmark": "lead_page",
            "database": "postgresql",
            "leads": lead_count,
            "copy_and_upgrade_s": round(prepared_s, 1),
            **measure(url, args.leads, args.heaviest, args.seed, args.wait),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
    finally:
        drop_database()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
