"""What a rule set would have done over a past period's registrations, writing nothing.

Each registration is decided at its own time, as the live hook decides it: the older waiting
leads of its rule first (up to the same number), then the lead. The counts the caps need are
the replay's own: a day's count starts at nothing, and an AM's open leads are the leads the
replay gave them that had not deposited by then. Rotation credits start at zero.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from crm.actions.tables import LEADS
from crm.distribution.assign import load_people
from crm.distribution.decide import Decision, Person, decide_by, decide_queue
from crm.distribution.rotation import Turn
from crm.distribution.rules import LEAD_FIELDS, Rule, first_match


class MemoryLedger:
    """The counts and credits of a replay, in memory. Leads come in time order, so each AM's
    receipt times are sorted as they are appended: a count since a moment is a bisection."""

    def __init__(self):
        self._credits: dict[int, dict[int, Turn]] = {}
        self._received: dict[int, list[datetime]] = defaultdict(list)
        self._deposited: dict[int, list[datetime]] = defaultdict(list)  # FTD times, sorted
        self.now: datetime | None = None

    def credits(self, rule_id: int) -> dict[int, Turn]:
        return dict(self._credits.get(rule_id, {}))

    def set_credits(self, rule_id: int, credits: dict[int, Turn]) -> None:
        self._credits[rule_id] = credits

    def received_since(self, starts: Mapping[int, datetime]) -> dict[int, int]:
        return {
            am_id: len(self._received[am_id]) - bisect_left(self._received[am_id], start)
            for am_id, start in starts.items()
        }

    def open_leads(self, am_ids: Sequence[int]) -> dict[int, int]:
        # Open: received and not deposited by now.
        return {
            am_id: len(self._received[am_id])
            - (bisect_right(self._deposited[am_id], self.now) if self.now else 0)
            for am_id in am_ids
        }

    def record(self, am_id: int, lead: Mapping[str, Any], now: datetime) -> None:
        self._received[am_id].append(now)
        if lead.get("ftd_at") is not None:
            insort(self._deposited[am_id], lead["ftd_at"])


@dataclass
class Replay:
    """The decisions in order, and per AM: what the rules would have given, what really
    happened (the leads' owners now)."""

    decisions: list[Decision] = field(default_factory=list)
    would_receive: Counter = field(default_factory=Counter)
    really_received: Counter = field(default_factory=Counter)
    waiting: Counter = field(default_factory=Counter)  # reason → leads still waiting at the end
    names: dict[int, str] = field(default_factory=dict)


def replay_leads(
    leads: Sequence[Mapping[str, Any]],
    rules: Sequence[Rule],
    people: Mapping[int, Person],
    ledger: MemoryLedger | None = None,
) -> list[Decision]:
    """Every decision for ``leads`` (in registration order), each at its ``registered_at``, as
    the live hook makes them: the rule's waiting leads first, oldest first, until one has to
    wait again, then the lead. A lead that waits can be decided again later, so it can appear
    more than once: its last decision is the one that stands."""
    ledger = ledger or MemoryLedger()
    waiting: dict[int, list[Mapping[str, Any]]] = defaultdict(list)  # rule id → leads
    decisions: list[Decision] = []
    for lead in leads:
        now = lead["registered_at"]
        ledger.now = now
        rule = first_match(rules, lead)
        if rule is not None and waiting[rule.id]:
            drained = decide_queue(waiting[rule.id], rules, people, ledger, now)
            decisions.extend(drained)
            assigned = sum(d.am_id is not None for d in drained)
            waiting[rule.id] = waiting[rule.id][assigned:]
        decision = decide_by(lead, rule, people, ledger, now)
        decisions.append(decision)
        if decision.am_id is None and decision.rule is not None:
            waiting[decision.rule.id].append(lead)
    return decisions


def replay_period(
    connection: sa.Connection, rules: Sequence[Rule], start: datetime, end: datetime
) -> Replay:
    """Replay the registrations in [start, end) under ``rules`` (switched on or not: a replay
    considers every rule given as on)."""
    rules = [replace_active(rule) for rule in rules]
    columns = [LEADS.c[name] for name in LEAD_FIELDS] + [LEADS.c.am_id]
    rows = connection.execute(
        sa.select(*columns)
        .where(LEADS.c.registered_at >= start, LEADS.c.registered_at < end)
        .order_by(LEADS.c.registered_at, LEADS.c.id)
    ).all()
    leads = [dict(row._mapping) for row in rows]
    # A lead's desk at registration was conversion: a replay of new leads looks at them so.
    for lead in leads:
        lead["desk"] = "conversion"
    people = load_people(connection, {m.am_id for rule in rules for m in rule.members})
    decisions = replay_leads(leads, rules, people)
    final = {decision.lead_id: decision for decision in decisions}
    result = Replay(decisions=decisions)
    for decision in final.values():
        if decision.am_id is None:
            result.waiting[decision.waiting] += 1
        else:
            result.would_receive[decision.am_id] += 1
    result.really_received.update(row.am_id for row in rows if row.am_id is not None)
    ids = set(result.would_receive) | set(result.really_received)
    result.names = dict(
        connection.execute(
            sa.select(sa.column("id"), sa.column("name"))
            .select_from(sa.table("staff"))
            .where(sa.column("id").in_(sorted(ids)))
        ).all()
    )
    return result


def replace_active(rule: Rule) -> Rule:
    from dataclasses import replace

    return replace(rule, is_active=True)
