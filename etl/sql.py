"""The two ways the ETL runs SQL on DuckDB."""

from __future__ import annotations

import os
import sys
import time

import duckdb

TRACE = os.environ.get("ETL_TRACE")


def run_sql(con: duckdb.DuckDBPyConnection, query: str, params=None) -> list[tuple]:
    """Execute and drain the result: DuckDB refuses other work on a connection with a result
    still open."""
    t = time.perf_counter()
    r = con.execute(query, params).fetchall()
    if TRACE and time.perf_counter() - t > 0.2:
        print(f"TRACE {time.perf_counter() - t:.2f}s {' '.join(query.split())[:160]}", file=sys.stderr)
    return r


def scalar(con: duckdb.DuckDBPyConnection, query: str, params=None):
    return run_sql(con, query, params)[0][0]
