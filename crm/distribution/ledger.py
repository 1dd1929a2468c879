"""The counts a rule's caps read and the rotation's credits, as the CRM keeps them, read and
written inside the assigning transaction (crm.distribution.assign) after the pool rows are
locked.

At every registration: each pool member's new leads since their day began (the new-lead
assignments, ``ix_assignments_new_leads``: at most a cap's worth an AM), their open leads (the
counts the database keeps, ``am_open_leads``, migration 0011), and the credits written back.
On PostgreSQL the per-AM values go as arrays, so each statement's text is the same whatever
the pool's size: the server and the driver prepare it once, and no statement is built per
registration (building the OR of 20 AMs and the CASE of 20 credits cost more CPU than the
database's work).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from crm.actions.leads import ASSIGNMENTS
from crm.distribution.rotation import Turn
from crm.distribution.rules import POOL
from crm.models import NEW_LEADS_SQL, AmOpenLeads

OPEN_COUNTS = AmOpenLeads.__table__

# One count per AM, as a subquery: a join of the AMs with the assignments was planned as a
# scan of all 1.7 M (0.8 s); per AM it is a range of the partial index (the new leads since
# their day began). The reasons are written as the index says them (literal values), so a
# prepared statement's generic plan can use it too.
_RECEIVED_PG = sa.text(
    "SELECT day.am_id, (SELECT count(*) FROM assignments AS given "
    "WHERE given.to_am_id = day.am_id AND given.assigned_at >= day.start "
    f"AND given.{NEW_LEADS_SQL}) "
    "FROM unnest(CAST(:am_ids AS integer[]), CAST(:starts AS timestamptz[])) AS day(am_id, start)"
)
_OPEN_PG = sa.text(
    "SELECT am_id, open_leads FROM am_open_leads WHERE am_id = ANY(CAST(:am_ids AS integer[]))"
)
_CREDITS_PG = sa.text(
    "UPDATE distribution_pool AS pool "
    "SET credit = turn.credit, epoch_received = turn.received, updated_at = :now "
    "FROM unnest(CAST(:am_ids AS integer[]), CAST(:credits AS integer[]), "
    "CAST(:received AS integer[])) AS turn(am_id, credit, received) "
    "WHERE pool.rule_id = :rule_id AND pool.am_id = turn.am_id"
)


class LiveLedger:
    """The caps' counts read from the CRM (once per AM and day, then kept up to date as this
    transaction assigns) and the credits of the locked pool rows."""

    def __init__(self, connection: sa.Connection, credits: dict[int, dict[int, Turn]]):
        self.connection = connection
        self._postgresql = connection.dialect.name == "postgresql"
        self._credits = credits
        self.changed: set[int] = set()
        self._today: dict[tuple[int, datetime], int] = {}
        self._open: dict[int, int] = {}

    def credits(self, rule_id: int) -> dict[int, Turn]:
        return dict(self._credits.get(rule_id, {}))

    def set_credits(self, rule_id: int, credits: dict[int, Turn]) -> None:
        self._credits[rule_id] = credits
        self.changed.add(rule_id)

    def received_since(self, starts: Mapping[int, datetime]) -> dict[int, int]:
        missing = sorted((a, s) for a, s in starts.items() if (a, s) not in self._today)
        if missing:
            found = dict.fromkeys((a for a, _ in missing), 0)
            if self._postgresql:
                query, parameters = (
                    _RECEIVED_PG,
                    {
                        "am_ids": [a for a, _ in missing],
                        "starts": [s for _, s in missing],
                    },
                )
            else:
                query, parameters = self._received_query(missing), {}
            found.update(self.connection.execute(query, parameters).all())
            for am_id, start in missing:
                self._today[(am_id, start)] = found[am_id]
        return {am_id: self._today[(am_id, start)] for am_id, start in starts.items()}

    @staticmethod
    def _received_query(missing: list[tuple[int, datetime]]) -> sa.Select:
        condition = sa.or_(
            *(
                sa.and_(ASSIGNMENTS.c.to_am_id == am_id, ASSIGNMENTS.c.assigned_at >= start)
                for am_id, start in missing
            )
        )
        return (
            sa.select(ASSIGNMENTS.c.to_am_id, sa.func.count())
            .where(condition, sa.text(NEW_LEADS_SQL))
            .group_by(ASSIGNMENTS.c.to_am_id)
        )

    def open_leads(self, am_ids: Sequence[int]) -> dict[int, int]:
        missing = [am_id for am_id in am_ids if am_id not in self._open]
        if missing:
            found = dict.fromkeys(missing, 0)
            # Counted by the database as leads change (migration 0011): one row per AM,
            # however many leads they hold.
            if self._postgresql:
                rows = self.connection.execute(_OPEN_PG, {"am_ids": missing})
            else:
                rows = self.connection.execute(
                    sa.select(OPEN_COUNTS.c.am_id, OPEN_COUNTS.c.open_leads).where(
                        OPEN_COUNTS.c.am_id.in_(missing)
                    )
                )
            found.update(rows.all())
            self._open.update(found)
        return {am_id: self._open[am_id] for am_id in am_ids}

    def record(self, am_id: int, lead: Mapping[str, Any], now: datetime) -> None:
        for key in self._today:
            if key[0] == am_id and key[1] <= now:
                self._today[key] += 1
        if am_id in self._open:
            self._open[am_id] += 1


def save_credits(connection: sa.Connection, ledger: LiveLedger, now: datetime) -> None:
    """The changed rules' credits written back: one statement per rule, however large its
    pool (every available member's credit moves at every pick)."""
    for rule_id in sorted(ledger.changed):
        credits = ledger.credits(rule_id)
        if connection.dialect.name == "postgresql":
            ams = sorted(credits)
            connection.execute(
                _CREDITS_PG,
                {
                    "am_ids": ams,
                    "credits": [credits[a][0] for a in ams],
                    "received": [credits[a][1] for a in ams],
                    "now": now,
                    "rule_id": rule_id,
                },
            )
            continue
        connection.execute(
            POOL.update()
            .where(POOL.c.rule_id == rule_id, POOL.c.am_id.in_(sorted(credits)))
            .values(
                credit=sa.case(
                    {a: credit for a, (credit, _) in credits.items()},
                    value=POOL.c.am_id,
                    else_=POOL.c.credit,
                ),
                epoch_received=sa.case(
                    {a: received for a, (_, received) in credits.items()},
                    value=POOL.c.am_id,
                    else_=POOL.c.epoch_received,
                ),
                updated_at=now,
            )
        )
