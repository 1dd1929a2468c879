"""Benchmark: what a click pays for the server-side session (issue 26, item 7; issue 22, item 9).

    python bench/sessions.py                       # SQLite and PostgreSQL, 2,000 clicks each
    python bench/sessions.py --clicks 500 --backend sqlite

Every click resumes the browser's session by its token (``crm.sessions.resume``: one indexed
read joined with the staff row, and at most one write per 30 s); before, it read the staff row
alone (``dashboard.viewer.current_viewer``). Both are timed in the same run, alternating, on a
throwaway CRM with 1,000 sessions of 100 people, and reported as a ratio beside the times.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crm import sessions  # noqa: E402
from crm.db import create_crm_engine  # noqa: E402
from crm.models import Staff, utcnow  # noqa: E402

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_DATABASE = "starboard_bench_sessions"
PEOPLE, SESSIONS_EACH = 100, 10
IDLE = timedelta(minutes=60)


def build(url: str) -> tuple[sa.Engine, list[tuple[int, str]]]:
    subprocess.run(
        [sys.executable, "-m", "crm", "init"],
        env={"CRM_DATABASE_URL": url, "PATH": ""},
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    engine = create_crm_engine(url)
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(
            Staff.__table__.insert(),
            [
                {"name": f"Person {i}", "email": f"p{i}@bench.test", "role": "lead_manager",
                 "time_zone": "UTC", "is_active": True, "created_at": now, "updated_at": now}
                for i in range(PEOPLE)
            ],
        )  # fmt: skip
        ids = connection.execute(sa.select(Staff.id)).scalars().all()
    tokens = []
    for staff_id in ids:
        for _ in range(SESSIONS_EACH):
            code = sessions.start(engine, staff_id, "password")
            tokens.append((staff_id, sessions.exchange(engine, code)))
    return engine, tokens


def measure(engine: sa.Engine, tokens, clicks: int) -> tuple[float, float]:
    staff = Staff.__table__

    def staff_row(staff_id: int) -> None:
        with engine.connect() as connection:
            connection.execute(
                sa.select(staff).where(staff.c.id == staff_id, staff.c.is_active.is_(True))
            ).one()

    resume_times, read_times = [], []
    for click in range(clicks):
        staff_id, token = tokens[click % len(tokens)]
        start = time.perf_counter()
        assert sessions.resume(engine, token, idle=IDLE).staff_id == staff_id
        resume_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        staff_row(staff_id)
        read_times.append(time.perf_counter() - start)
    return statistics.median(resume_times), statistics.median(read_times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=2000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with tempfile.TemporaryDirectory() as folder:
            if backend == "sqlite":
                url = f"sqlite:///{folder}/crm.sqlite"
            else:
                with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
                    admin.execute(f"CREATE DATABASE {PG_DATABASE}")
                url = f"{PG_SERVER}/{PG_DATABASE}"
            engine, tokens = build(url)
            try:
                measure(engine, tokens, 100)  # warm the pool and the caches
                resume, read = measure(engine, tokens, args.clicks)
            finally:
                engine.dispose()
                if backend == "postgresql":
                    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
                        admin.execute(f"DROP DATABASE {PG_DATABASE}")
        print(
            f"{backend}: session resume {resume * 1e3:.2f} ms, staff row read {read * 1e3:.2f} ms "
            f"(median of {args.clicks:,} clicks; ratio {resume / read:.2f})"
        )


if __name__ == "__main__":
    main()
