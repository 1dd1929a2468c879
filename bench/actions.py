"""Benchmark: how long an assignment takes on PostgreSQL, committed and audited.

    python bench/actions.py                 # 50,000-lead demo, 500 single, 5 bulk of 1,000
    python bench/actions.py --leads 20000 --singles 200

Builds a throwaway CRM (database ``starboard_bench_actions``) with ``python -m crm demo``,
times ``crm.actions.assign`` through the engine the pages use (one transaction each: claim of
the action id, locked read, versioned UPDATE, assignment row, audit, commit), then drops the
database. Each single assignment takes a different lead, whose version is read beforehand,
outside the timing, as the page would have it in session state. The machine is shared: the
run waits (``--wait`` seconds at most) for other work to quieten, and reports how many cores
were busy while it measured, its own client's share included.
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

import psycopg
import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crm import actions  # noqa: E402
from crm.db import create_crm_engine  # noqa: E402
from crm.models import Lead, Staff  # noqa: E402

PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
DATABASE = "starboard_bench_actions"
TARGET_SINGLE_P95_MS = 20.0
TARGET_BULK_S = 1.0
WARM_UP = 20


def admin(statement: str) -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(statement)


def crm(url: str, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "crm", *args],
        cwd=REPO,
        env={**os.environ, "CRM_DATABASE_URL": url},
        check=True,
        capture_output=True,
        text=True,
    )


def busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_cores(sample_s: float = 2.0) -> float:
    busy0, total0 = busy_jiffies()
    time.sleep(sample_s)
    busy1, total1 = busy_jiffies()
    return (busy1 - busy0) / max(total1 - total0, 1) * (os.cpu_count() or 1)


def wait_for_quiet(limit_s: float, quiet_cores: float) -> float:
    """Wait (at most ``limit_s``) until other work keeps fewer than ``quiet_cores`` busy; the
    machine is shared. Returns the busy cores when the wait ended."""
    deadline = time.monotonic() + limit_s
    while True:
        busy = busy_cores()
        if busy < quiet_cores or time.monotonic() > deadline:
            return round(busy, 2)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(url: str, singles: int, bulks: int, bulk_size: int, seed: int, wait_s: float) -> dict:
    engine = create_crm_engine(url)
    rng = random.Random(seed)
    with engine.connect() as connection:
        manager = connection.scalar(
            sa.select(Staff.id)
            .where(Staff.role.in_(("lead_manager", "sales_manager")), Staff.is_active)
            .order_by(Staff.id)
            .limit(1)
        )
        ams = connection.scalars(
            sa.select(Staff.id).where(
                Staff.role == "account_manager", Staff.is_active, Staff.desk == "conversion"
            )
        ).all()
        versions = dict(
            connection.execute(
                sa.select(Lead.id, Lead.version).where(Lead.desk == "conversion")
            ).all()
        )
    lead_ids = sorted(versions)
    rng.shuffle(lead_ids)
    needed = WARM_UP + singles + bulks * bulk_size
    if len(lead_ids) < needed:
        raise SystemExit(f"only {len(lead_ids):,} conversion leads, {needed:,} needed")
    picks = iter(lead_ids)

    def assign(leads: dict[int, int]) -> float:
        began = time.perf_counter()
        actions.assign(
            engine,
            actor_id=manager,
            action_id=actions.new_action_id(),
            leads=leads,
            am_id=rng.choice(ams),
            reason="reassignment",
            # Owned leads are taken from their AM: that needs a note saying why.
            note="benchmark: spreading the load",
        )
        return time.perf_counter() - began

    for _ in range(WARM_UP):
        lead_id = next(picks)
        assign({lead_id: versions[lead_id]})
    busy_at_start = wait_for_quiet(wait_s, quiet_cores=0.5)
    load_before = os.getloadavg()
    busy_before, cpu_before = busy_jiffies(), os.times()
    single_ms = []
    for _ in range(singles):
        lead_id = next(picks)
        single_ms.append(1000 * assign({lead_id: versions[lead_id]}))
    bulk_s = []
    for _ in range(bulks):
        chosen = [next(picks) for _ in range(bulk_size)]
        bulk_s.append(assign({lead_id: versions[lead_id] for lead_id in chosen}))
    busy_after, cpu_after = busy_jiffies(), os.times()
    load_after = os.getloadavg()
    engine.dispose()
    cores = os.cpu_count() or 1
    machine_busy = (busy_after[0] - busy_before[0]) / max(busy_after[1] - busy_before[1], 1)
    wall = cpu_after.elapsed - cpu_before.elapsed
    own = (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system) / wall
    return {
        "single_ms": {
            "count": singles,
            "p50": round(statistics.median(single_ms), 2),
            "p95": round(percentile(single_ms, 0.95), 2),
            "p99": round(percentile(single_ms, 0.99), 2),
            "max": round(max(single_ms), 2),
            "target_p95": TARGET_SINGLE_P95_MS,
        },
        "bulk_s": {
            "size": bulk_size,
            "runs": [round(s, 3) for s in bulk_s],
            "median": round(statistics.median(bulk_s), 3),
            "max": round(max(bulk_s), 3),
            "target": TARGET_BULK_S,
        },
        "busy_cores_when_started": busy_at_start,
        "busy_cores_while_measuring": round(machine_busy * cores, 2),
        "of_which_this_client": round(own, 2),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--singles", type=int, default=500)
    parser.add_argument("--bulks", type=int, default=5)
    parser.add_argument("--bulk-size", type=int, default=actions.BULK_LIMIT)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--wait", type=float, default=300, help="seconds to wait at most for a quiet machine"
    )
    args = parser.parse_args()

    url = f"{PG_SERVER}/{DATABASE}"
    admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin(f"CREATE DATABASE {DATABASE}")
    try:
        crm(url, "init")
        began = time.perf_counter()
        crm(url, "demo", "--leads", str(args.leads), "--days", str(args.days), "--seed", "7")
        demo_s = time.perf_counter() - began
        result = {
            "benchmark": "actions",
            "database": "postgresql",
            "leads": args.leads,
            "demo_s": round(demo_s, 1),
            **measure(url, args.singles, args.bulks, args.bulk_size, args.seed, args.wait),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": f"{platform.node()} {os.cpu_count()} cores {platform.machine()}",
            "command": "python bench/actions.py " + " ".join(sys.argv[1:]),
        }
    finally:
        admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    print(json.dumps(result, indent=2))
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "actions.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
