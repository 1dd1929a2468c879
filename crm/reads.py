"""The CRM reads behind the action widgets: what a form may offer now, and what an action
changed, read from the CRM itself rather than the warehouse (which is as of the ETL's last
run). The SQL is in ``crm/queries/``; it runs unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import sqlalchemy as sa

from crm.types import UTCDateTime

QUERIES_DIR = Path(__file__).resolve().parent / "queries"


@cache
def _statement(name: str, **types) -> sa.TextClause:
    return sa.text((QUERIES_DIR / f"{name}.sql").read_text()).columns(**types)


def active_account_managers(connection: sa.Connection, desk: str | None) -> dict[int, str]:
    """``{am id: label}`` of the active AMs of ``desk`` (every desk when None), by name: the
    choice an action will accept now. Two AMs of one name are told apart by their number."""
    statement = _statement("active_account_managers").bindparams(
        sa.bindparam("any_desk", type_=sa.Boolean()), sa.bindparam("desk", type_=sa.String())
    )
    rows = connection.execute(statement, {"any_desk": desk is None, "desk": desk}).all()
    names = [row.am_name for row in rows]
    return {
        row.am_id: f"{row.am_name} (#{row.am_id})" if names.count(row.am_name) > 1 else row.am_name
        for row in rows
    }


def lead_states(connection: sa.Connection, lead_ids: list[int]) -> list[dict]:
    """The leads ``lead_ids`` as the CRM holds them now (owner, team, desk, status, star,
    priority, callback as a UTC instant, time zone, version), one dict per lead found."""
    if not lead_ids:
        return []
    statement = _statement(
        "lead_states", callback_at=UTCDateTime(), is_starred=sa.Boolean()
    ).bindparams(sa.bindparam("lead_ids", expanding=True))
    rows = connection.execute(statement, {"lead_ids": [int(i) for i in lead_ids]}).mappings()
    return [dict(row) for row in rows]
