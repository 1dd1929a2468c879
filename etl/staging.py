"""Staging: a run's landed rows typed and checked, merged into ``stg_<table>`` by key, the bad
ones held in quarantine with their reason (etl.run calls these, table by table)."""

from __future__ import annotations

from datetime import datetime

from crm.models import Base
from etl.sql import run_sql, scalar


def drop_unchanged(base, name: str, watermark: datetime | None) -> int:
    """Take out of ``landing.<name>`` the rows staging already has as they are (same key, same
    ``updated_at``), and return how many. An incremental run reads back a minute or more for
    late commits, so the watch loop reads most of the previous run's rows again; staged again,
    they would cost every step after landing the same as new rows, to change nothing. Only a
    row stamped no later than the last run's watermark can be one of them: when none is, as
    after a quiet spell, staging is not read at all. A row whose key has a tombstone in this
    run stays: the tombstone takes it out of staging, the row puts it back."""
    landed = f"landing.{name}"
    if watermark is None or not scalar(
        base, f"SELECT count(*) FROM {landed} WHERE updated_at <= ?", [watermark]
    ):
        return 0
    staged = f"stg_{name}"
    key = crm_key(name)
    return scalar(
        base,
        f"DELETE FROM {landed} USING {staged} AS staged "
        f'WHERE {landed}."{key}" = staged.{key_column(base, staged)} '
        f"AND {landed}.updated_at = staged.updated_at AND {landed}.updated_at <= ? "
        f'AND cast({landed}."{key}" AS varchar) NOT IN ('
        "SELECT row_key FROM landing.deleted_rows WHERE table_name = ?)",
        [watermark, name],
    )


def crm_key(name: str) -> str:
    """The key column of the CRM table ``name``, as landed (``id``)."""
    return next(iter(Base.metadata.tables[name].primary_key.columns)).name


def key_column(base, relation: str) -> str:
    return scalar(base, f"DESCRIBE {relation}")


def deduplicate_landing(base, name: str) -> None:
    """Keep the newest version of each key. One read of the CRM cannot return a key twice, so
    this only checks, cheaply, and sorts only if something upstream ever breaks that."""
    key = crm_key(name)
    table = f"landing.{name}"
    if scalar(base, f'SELECT count(*) - count(DISTINCT "{key}") FROM {table}'):
        run_sql(
            base,
            f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {table} "
            f'QUALIFY row_number() OVER (PARTITION BY "{key}" ORDER BY updated_at DESC) = 1',
        )


def stage(base, name: str, sql: str, run_id: int, as_of: datetime, full: bool) -> int:
    """Type and check this run's rows of ``name``; merge the good ones into ``stg_<name>`` by
    key and put the bad ones in quarantine with their reason. Returns how many were bad.

    A full load has written each row once, straight into ``stg_<name>``, as it landed
    (``run._run``); here it takes the bad ones out: at brokerage scale a second copy of every
    row is the dearest step of staging. So staging tables keep a ``quarantine_reason`` column,
    NULL on every row they hold.
    """
    staged = f"stg_{name}"
    checked = staged
    if not full:
        # A full read is one snapshot of a table with a primary key (the parallel streams
        # split it by block ranges): each key comes once, and checking 18 M keys costs
        # seconds. An incremental read pages through a cursor, so it is checked.
        deduplicate_landing(base, name)
        checked = "typed"
        run_sql(base, f"CREATE OR REPLACE TEMP TABLE typed AS {sql}")
    key = key_column(base, checked)
    if full:
        run_sql(base, "DELETE FROM quarantine WHERE table_name = ?", [name])
    else:
        run_sql(
            base,
            f"DELETE FROM quarantine WHERE table_name = ? AND row_key IN "
            f"(SELECT cast({key} AS varchar) FROM typed)",
            [name],
        )
    bad = scalar(
        base,
        f"INSERT INTO quarantine SELECT ?, cast({key} AS varchar), quarantine_reason, ?, ? "
        f"FROM {checked} WHERE quarantine_reason IS NOT NULL",
        [name, run_id, as_of],
    )
    if full:
        if bad:
            run_sql(base, f"DELETE FROM {staged} WHERE quarantine_reason IS NOT NULL")
    else:
        run_sql(base, f"DELETE FROM {staged} WHERE {key} IN (SELECT {key} FROM typed)")
        run_sql(base, f"INSERT INTO {staged} SELECT * FROM typed WHERE quarantine_reason IS NULL")
        run_sql(base, "DROP TABLE typed")
    return bad
