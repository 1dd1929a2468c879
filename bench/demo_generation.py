"""Benchmark: how fast ``python -m crm demo`` fills a CRM, and how much memory it takes.

    python bench/demo_generation.py sqlite      # 50,000 leads, 90 days, into a new SQLite file
    python bench/demo_generation.py postgresql  # 1,000,000 leads, 180 days, into PostgreSQL

Each run is the real command in its own process (so peak memory is the command's own), on a
new database. The PostgreSQL run keeps its database (``starboard_bench``): it is the
brokerage-scale data set the ETL and dashboard benchmarks read.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
CASES = {
    "sqlite": {"leads": 50_000, "days": 90, "target_s": 60},
    "postgresql": {"leads": 1_000_000, "days": 180, "target_s": 900, "target_mb": 3072},
}


def crm(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CRM_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "crm", *args],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def fresh_database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench-crm.sqlite'}"
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS starboard_bench WITH (FORCE)")
        connection.execute("CREATE DATABASE starboard_bench")
    return f"{PG_SERVER}/starboard_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", choices=CASES)
    parser.add_argument("--leads", type=int)
    parser.add_argument("--days", type=int)
    args = parser.parse_args()
    case = dict(CASES[args.database])
    case["leads"] = args.leads or case["leads"]
    case["days"] = args.days or case["days"]

    with tempfile.TemporaryDirectory() as workdir:
        url = fresh_database(args.database, Path(workdir))
        crm(url, "init")
        started = time.perf_counter()
        done = crm(
            url, "demo", "--leads", str(case["leads"]), "--days", str(case["days"]), "--seed", "7"
        )
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {
        "benchmark": "demo_generation",
        "database": args.database,
        **case,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_mb),
        "summary": done.stdout.strip(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {os.cpu_count()} cores {platform.machine()}",
    }
    print(json.dumps(result, indent=2))
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"demo_generation_{args.database}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
