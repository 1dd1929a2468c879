"""Today's distribution, as the Distribution page shows it: per pool and AM what they received
against their cap and whether they are on shift; the waiting leads per reason and how long the
oldest has waited; the leads the rules assigned, each with why. Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from crm.actions.leads import ASSIGNMENTS
from crm.actions.tables import LEADS, STAFF
from crm.distribution.assign import WAITING, load_people
from crm.distribution.availability import zone_city
from crm.distribution.decide import wait_words
from crm.distribution.ledger import LiveLedger
from crm.distribution.rules import RULES, load_rules
from crm.models import NEW_LEADS_SQL


@dataclass(frozen=True)
class PoolMemberToday:
    rule: str
    rule_on: bool
    am: str
    weight: int
    received: int
    daily_cap: int | None
    open_leads: int
    open_cap: int | None
    shift: str  # "on shift until 18:00 Nicosia", "off shift", "inactive", "on leave"


@dataclass(frozen=True)
class WaitingNow:
    reason: str  # the words of WAIT_WORDS; "no rule for the retention desk ..." for no rule
    rule: str | None
    leads: int
    oldest_since: datetime


def pool_members_today(connection: sa.Connection, now: datetime) -> list[PoolMemberToday]:
    rules = load_rules(connection)
    people = load_people(connection, {m.am_id for rule in rules for m in rule.members})
    ledger = LiveLedger(connection, {})
    today = ledger.received_since({a: p.calendar.day_start(now) for a, p in people.items()})
    open_now = ledger.open_leads(sorted(people))
    rows = []
    for rule in rules:
        for member in rule.members:
            person = people[member.am_id]
            rows.append(
                PoolMemberToday(
                    rule=rule.name,
                    rule_on=rule.is_active,
                    am=person.name,
                    weight=member.weight,
                    received=today.get(member.am_id, 0),
                    daily_cap=rule.daily_cap,
                    open_leads=open_now.get(member.am_id, 0),
                    open_cap=rule.open_cap,
                    shift=_shift_words(person, now),
                )
            )
    return rows


def _shift_words(person, now: datetime) -> str:
    if not person.is_active:
        return "inactive"
    if person.calendar.on_leave(now):
        return "on leave"
    end = person.calendar.shift_end(now)
    if end is None:
        return "off shift"
    return f"on shift until {end:%H:%M} {zone_city(person.calendar.time_zone)}"


def waiting_now(connection: sa.Connection) -> list[WaitingNow]:
    """The waiting leads per reason and rule (per desk for the leads no rule takes), the
    longest-waiting first."""
    # The desk says which rule is missing: the leads no rule takes are counted per desk.
    desk = sa.case((WAITING.c.reason == "no_rule", LEADS.c.desk), else_=None).label("desk")
    rows = connection.execute(
        sa.select(
            WAITING.c.reason,
            desk,
            RULES.c.name,
            sa.func.count().label("leads"),
            sa.func.min(WAITING.c.since).label("oldest"),
        )
        .select_from(
            WAITING.join(LEADS, LEADS.c.id == WAITING.c.lead_id).outerjoin(
                RULES, RULES.c.id == WAITING.c.rule_id
            )
        )
        .group_by(WAITING.c.reason, desk, RULES.c.name)
        .order_by(sa.func.min(WAITING.c.since))
    ).all()
    return [
        WaitingNow(wait_words(row.reason, row.desk), row.name, row.leads, row.oldest)
        for row in rows
    ]


@dataclass(frozen=True)
class AssignedNow:
    at: datetime
    lead_id: int
    lead: str
    am: str
    why: str


def assigned_since(connection: sa.Connection, since: datetime, limit: int) -> list[AssignedNow]:
    """The leads the rules assigned since ``since``, newest first, at most ``limit``, each
    with the rules' one-line explanation."""
    given, leads, staff = ASSIGNMENTS, LEADS, STAFF
    # Only the rules' AMs can have received one: read through ix_assignments_new_leads, their
    # new leads since ``since``, not every assignment of the CRM.
    am_ids = sorted({m.am_id for rule in load_rules(connection) for m in rule.members})
    if not am_ids:
        return []
    rows = connection.execute(
        sa.select(
            given.c.assigned_at,
            given.c.lead_id,
            leads.c.first_name,
            leads.c.last_name,
            staff.c.name,
            given.c.note,
        )
        .select_from(
            given.join(leads, leads.c.id == given.c.lead_id).join(
                staff, staff.c.id == given.c.to_am_id
            )
        )
        .where(
            given.c.to_am_id.in_(am_ids),
            given.c.assigned_at >= since,
            sa.text(f"assignments.{NEW_LEADS_SQL}"),
            given.c.reason == "auto",
        )
        .order_by(given.c.assigned_at.desc(), given.c.lead_id.desc())
        .limit(limit)
    ).all()
    return [
        AssignedNow(
            row.assigned_at,
            row.lead_id,
            f"{row.first_name} {row.last_name}".strip(),
            row.name,
            row.note or "",
        )
        for row in rows
    ]
