"""Benchmark: importing 100,000 leads from a CSV file (python -m crm import leads).

    python bench/import_leads.py postgresql [--leads 100000]
    python bench/import_leads.py sqlite

Writes a CSV of ``--leads`` registrations (external id, names, email, an international phone,
country; the zone is inferred), makes a throwaway CRM (``starboard_bench_import`` on
PostgreSQL, a temporary file on SQLite) with the demo's currencies, and times the import
command as a person runs it: every row checked, registered through the action layer in
batches of 1,000 (lead, welcome mail, audit), one transaction. Reports the wall time and the
command's peak memory (its maximum resident set).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
DATABASE = "starboard_bench_import"
# (country, the start of a mobile number there, digits after it): every number a possible one.
COUNTRIES = (("GB", "+447700", 6), ("DE", "+4915112", 6), ("BR", "+55119", 8), ("ES", "+3461", 7))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", choices=("postgresql", "sqlite"))
    parser.add_argument("--leads", type=int, default=100_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    path = folder / "leads.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["external_id", "first_name", "last_name", "email", "phone", "country"])
        for n in range(args.leads):
            country, prefix, digits = COUNTRIES[n % len(COUNTRIES)]
            writer.writerow(
                [
                    f"IMP-{n}",
                    "Ana",
                    "Souza",
                    f"client{n}@example.com",
                    f"{prefix}{n % 10**digits:0{digits}d}",
                    country,
                ]
            )
    if args.database == "postgresql":
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {DATABASE}")
        url = f"{PG_SERVER}/{DATABASE}"
    else:
        url = f"sqlite:///{folder / 'crm.sqlite'}"
    env = {**os.environ, "CRM_DATABASE_URL": url}
    try:
        subprocess.run([sys.executable, "-m", "crm", "init"], cwd=REPO, env=env, check=True)
        subprocess.run(
            [
                "psql" if args.database == "postgresql" else "sqlite3",
                *(["-q", url] if args.database == "postgresql" else [str(folder / "crm.sqlite")]),
                "-c"
                if args.database == "postgresql"
                else "INSERT INTO currencies VALUES ('USD', '1', '2026-01-01 00:00:00.000000')",
                *(
                    ["INSERT INTO currencies VALUES ('USD', 1, now())"]
                    if args.database == "postgresql"
                    else []
                ),
            ],
            check=True,
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "crm", "import", "leads", str(path), "--source", "fair"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU seconds of the command and its checking process, whatever else ran meanwhile
        cpu_s = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    finally:
        if args.database == "postgresql":
            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        shutil.rmtree(folder, ignore_errors=True)
    print(result.stdout.strip().splitlines()[-1] if result.stdout else result.stderr)
    print(
        json.dumps(
            {
                "database": args.database,
                "leads": args.leads,
                "seconds": round(seconds, 1),
                "leads_per_s": round(args.leads / seconds),
                "cpu_s": round(cpu_s, 1),
                "peak_mb": round(peak_mb),
                "load_average": os.getloadavg(),
            }
        )
    )
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
