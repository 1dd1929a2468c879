"""The CRM reads behind the action widgets: what a form may offer now, and what an action
changed, read from the CRM itself rather than the warehouse (which is as of the ETL's last
run). The SQL is in ``crm/queries/``; it runs unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import sqlalchemy as sa

from crm.types import Money, UTCDateTime

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


def leads_changed_since(connection: sa.Connection, since: datetime, limit: int) -> list[dict]:
    """The leads written at or after ``since``, newest first, at most ``limit``, as
    ``lead_states`` gives them: the changes the warehouse's snapshot may not hold yet."""
    statement = _statement("leads_changed_since").bindparams(
        sa.bindparam("since", type_=UTCDateTime())
    )
    ids = connection.execute(statement, {"since": since, "limit": int(limit)}).scalars().all()
    # The same columns as every other read-back, from the one query that defines them.
    states = {row["lead_id"]: row for row in lead_states(connection, ids)}
    return [states[lead_id] for lead_id in ids if lead_id in states]


@dataclass(frozen=True)
class Owner:
    """The AM who owns a lead now, since when, and what the lead's deposits credited to them
    add up to (approved ones, USD)."""

    lead_id: int
    am_id: int
    am_name: str
    am_active: bool
    since: datetime | None
    deposits: int
    deposit_usd: Decimal

    def words(self) -> str:
        """ "Alice's since 2 Mar 2026, 1 deposit of 1,080.00 USD credited to Alice"."""
        since = ""
        if self.since is not None:
            since = f" since {self.since.day} {self.since:%b %Y}"
        if not self.deposits:
            earned = f"no deposit credited to {self.am_name}"
        else:
            plural = "" if self.deposits == 1 else "s"
            earned = (
                f"{self.deposits} deposit{plural} of {self.deposit_usd:,.2f} USD in all "
                f"credited to {self.am_name}"
            )
        return f"{self.am_name}'s{since}, {earned}"


def lead_owners(connection: sa.Connection, lead_ids: list[int]) -> dict[int, Owner]:
    """``{lead id: Owner}`` for those of ``lead_ids`` that an AM owns now."""
    if not lead_ids:
        return {}
    ids = {"lead_ids": sorted({int(i) for i in lead_ids})}
    expanding = sa.bindparam("lead_ids", expanding=True)
    owners = connection.execute(
        _statement("lead_owners", owner_since=UTCDateTime(), am_active=sa.Boolean()).bindparams(
            expanding
        ),
        ids,
    ).all()
    earned: dict[int, list[Decimal]] = {}
    for row in connection.execute(
        _statement("owner_deposits", amount_usd=Money()).bindparams(expanding), ids
    ):
        earned.setdefault(row.lead_id, []).append(row.amount_usd or Decimal("0.00"))
    return {
        row.lead_id: Owner(
            lead_id=row.lead_id,
            am_id=row.am_id,
            am_name=row.am_name,
            am_active=bool(row.am_active),
            since=row.owner_since,
            deposits=len(earned.get(row.lead_id, [])),
            deposit_usd=sum(earned.get(row.lead_id, []), Decimal("0.00")),
        )
        for row in owners
    }


def am_calls(
    connection: sa.Connection, am_id: int, first: datetime, last: datetime
) -> tuple[int, int]:
    """(calls, connected calls) the AM ``am_id`` logged from ``first`` up to ``last``."""
    statement = _statement("am_calls").bindparams(
        sa.bindparam("first", type_=UTCDateTime()), sa.bindparam("last", type_=UTCDateTime())
    )
    row = connection.execute(statement, {"am_id": int(am_id), "first": first, "last": last}).one()
    return int(row.calls), int(row.connected_calls)


def recent_call(
    connection: sa.Connection, lead_id: int, am_id: int, since: datetime
) -> sa.Row | None:
    """The latest call (``call_id``, ``outcome``, ``started_at``) the AM logged on the lead at
    or after ``since``, or None: a second outcome within a minute must say it replaces it."""
    statement = _statement("recent_call", started_at=UTCDateTime()).bindparams(
        sa.bindparam("since", type_=UTCDateTime())
    )
    return connection.execute(
        statement, {"lead_id": int(lead_id), "am_id": int(am_id), "since": since}
    ).first()
