"""The two ways the ETL runs SQL on DuckDB.

``ETL_TRACE=1`` in the environment prints every statement slower than ``TRACE_AFTER_S`` to
stderr with its time: where a run spends its seconds, without a profiler. ``ETL_TRACE=0.05``
sets another threshold (seconds).
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
    began = time.perf_counter()
    rows = con.execute(query, params).fetchall()
    took = time.perf_counter() - began
    if TRACE and took > TRACE_AFTER_S:
        print(f"etl: {took:.3f} s {' '.join(query.split())[:160]}", file=sys.stderr)
    return rows


def scalar(con: duckdb.DuckDBPyConnection, query: str, params=None):
    return run_sql(con, query, params)[0][0]
