"""The two ways the ETL runs SQL on DuckDB.

``ETL_TRACE=1`` in the environment prints every statement slower than ``TRACE_AFTER_S`` to
stderr with its time and the CPU seconds the process spent meanwhile (all of DuckDB's threads,
and the base's checkpoint when it runs beside the models): where a run spends its seconds,
without a profiler, and on a shared machine which of them are the run's own work rather than
waiting for a core. ``ETL_TRACE=0.05`` sets another threshold (seconds).
"""

from __future__ import annotations

import os
import sys
import time

import duckdb

TRACE = bool(os.environ.get("ETL_TRACE"))
TRACE_AFTER_S = float(os.environ["ETL_TRACE"]) if TRACE and os.environ["ETL_TRACE"] != "1" else 0.2


def run_sql(con: duckdb.DuckDBPyConnection, query: str, params=None) -> list[tuple]:
    """Execute and drain the result: DuckDB refuses other work on a connection with a result
    still open."""
    began, cpu = time.perf_counter(), time.process_time()
    rows = con.execute(query, params).fetchall()
    took = time.perf_counter() - began
    if TRACE and took > TRACE_AFTER_S:
        spent = time.process_time() - cpu
        print(
            f"etl: {took:.3f} s {spent:.3f} CPU-s {' '.join(query.split())[:160]}", file=sys.stderr
        )
    return rows


def scalar(con: duckdb.DuckDBPyConnection, query: str, params=None):
    return run_sql(con, query, params)[0][0]
