"""One lead's file, read from the CRM now: who the lead is, where it stands, and every row of
its history (assignments, calls, notes, deposit attempts, e-mails, platform sessions, support
tickets, and the stars and callbacks Starboard's actions recorded in the audit log).

The lead page reads it at every run, so an action's result shows at once. Each read is one
indexed look-up (the lead's primary key, or ``lead_id`` on its history's tables), all on one
connection; the SQL is in ``crm/queries/lead_*.sql`` and runs unchanged on SQLite and
PostgreSQL. ``bench/lead_page.py`` times it at 1 M leads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlalchemy as sa

from crm.settings import CallingHours, calling_hours
from crm.types import Money, UTCDateTime

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
# How each query's columns come back as Python values (SQLite keeps times and money as text,
# and the audit's before and after as JSON text).
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


@cache
def statement(name: str) -> sa.TextClause:
    """The query ``crm/queries/<name>.sql``, its columns typed."""
    return sa.text((QUERIES_DIR / f"{name}.sql").read_text()).columns(**_TYPES[name])


def read_lead_file(engine: sa.Engine, lead_id: int) -> LeadFile | None:
    """The lead's file as the CRM holds it now; None when there is no such lead."""
    with engine.connect() as connection:
        profile = connection.execute(statement("lead_profile"), {"lead_id": lead_id}).mappings()
        row = profile.one_or_none()
        if row is None:
            return None
        history = {
            name: [
                dict(found)
                for found in connection.execute(statement(name), {"lead_id": lead_id}).mappings()
            ]
            for name in HISTORY
        }
        hours = calling_hours(connection)
    return LeadFile(dict(row), history, hours)
