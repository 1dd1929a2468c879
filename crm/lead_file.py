"""One lead's file, read from the CRM now: who the lead is, where it stands, and every row of
its history (assignments, calls, notes, deposit attempts, e-mails, platform sessions, support
tickets, and the stars and callbacks Starboard's actions recorded in the audit log).

The lead page reads it at every run, so an action's result shows at once. Each read is one
indexed look-up (the lead's primary key, or ``lead_id`` on its history's tables); the SQL is
in ``crm/queries/lead_*.sql`` and runs unchanged on SQLite and PostgreSQL. On PostgreSQL every
query goes to the server in one round trip: the queries themselves take well under a
millisecond at 1 M leads, and on a busy machine each round trip waits for a core
(``bench/lead_page.py`` times it).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import psycopg
import sqlalchemy as sa

from crm.settings import DEFAULT_CALLING_HOURS, CallingHours
from crm.types import Money, UTCDateTime

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
# How each query's columns come back as Python values on SQLite (which keeps times and money as
# text, and the audit's before and after as JSON text); PostgreSQL's own types give the same.
_TIME = UTCDateTime()
_TYPES: dict[str, dict[str, sa.types.TypeEngine]] = {
    "lead_profile": dict(
        registered_at=_TIME,
        starred_at=_TIME,
        callback_at=_TIME,
        ftd_at=_TIME,
        last_login_at=_TIME,
        balance=Money(),
        is_starred=sa.Boolean(),
    ),
    "lead_assignments": dict(assigned_at=_TIME),
    "lead_calls": dict(started_at=_TIME),
    "lead_notes": dict(created_at=_TIME),
    "lead_deposits": dict(
        created_at=_TIME,
        decided_at=_TIME,
        amount=Money(),
        amount_usd=Money(),
        is_ftd=sa.Boolean(),
        is_self_deposit=sa.Boolean(),
        board_recorded_at=_TIME,
    ),
    "lead_emails": dict(created_at=_TIME, sent_at=_TIME),
    "lead_sessions": dict(login_at=_TIME, last_seen_at=_TIME, logout_at=_TIME),
    "lead_tickets": dict(opened_at=_TIME, closed_at=_TIME),
    "lead_audit": dict(at=_TIME, before=sa.JSON(), after=sa.JSON()),
}
HISTORY = tuple(name for name in _TYPES if name != "lead_profile")


@dataclass(frozen=True)
class LeadFile:
    """``profile``: the lead's row (``lead_profile.sql``); ``history``: the rows of each
    ``lead_*`` history query by its name; ``calling_hours``: the CRM's, now."""

    profile: dict
    history: dict[str, list[dict]]
    calling_hours: CallingHours


def sql_text(name: str) -> str:
    """The SQL of ``crm/queries/<name>.sql``."""
    return (QUERIES_DIR / f"{name}.sql").read_text()


@cache
def statement(name: str) -> sa.TextClause:
    """The query ``crm/queries/<name>.sql``, its columns typed."""
    return sa.text(sql_text(name)).columns(**_TYPES[name])


@cache
def _all_at_once() -> str:
    # psycopg binds the parameter on the client (ClientCursor): one message, every result.
    return ";\n".join(
        sql_text(name).replace(":lead_id", "%(lead_id)s").strip().rstrip(";")
        for name in ("lead_profile", *HISTORY)
    )


def read_lead_file(engine: sa.Engine, lead_id: int) -> LeadFile | None:
    """The lead's file as the CRM holds it now; None when there is no such lead."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            results = _read_at_once(connection, lead_id)
        else:
            results = _read_one_by_one(connection, lead_id)
    if not results["lead_profile"]:
        return None
    profile = results.pop("lead_profile")[0]
    hours = profile.pop("calling_hours")
    return LeadFile(profile, results, CallingHours.parse(hours) if hours else DEFAULT_CALLING_HOURS)


def _read_one_by_one(connection: sa.Connection, lead_id: int) -> dict[str, list[dict]]:
    results = {}
    for name in ("lead_profile", *HISTORY):
        rows = connection.execute(statement(name), {"lead_id": lead_id}).mappings()
        results[name] = [dict(row) for row in rows]
        if name == "lead_profile" and not results[name]:
            break
    return results


def _read_at_once(connection: sa.Connection, lead_id: int) -> dict[str, list[dict]]:
    raw = connection.connection.driver_connection
    results = {}
    with psycopg.ClientCursor(raw) as cursor:
        cursor.execute(_all_at_once(), {"lead_id": int(lead_id)})
        for name in ("lead_profile", *HISTORY):
            columns = [column.name for column in cursor.description]
            results[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
            cursor.nextset()
    return results
