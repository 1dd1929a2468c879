"""One lead's distribution decision, the same for the live assignment and for a replay.

The caller supplies the rules, the pool members as people (role, desk, active, calendar) and a
``Ledger``: the counts the caps need and the rotation credits, read from the CRM when live,
kept in memory in a replay. ``decide`` records its pick in the ledger, so the next lead sees it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from crm.distribution import rotation
from crm.distribution.availability import Calendar, zone_city
from crm.distribution.rules import Rule, first_match

WAIT_WORDS = {
    "no_rule": "no rule matches the lead",
    "nobody_on_shift": "nobody in the pool is on shift",
    "all_at_cap": "everyone on shift is at their cap",
}


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    role: str
    desk: str | None
    is_active: bool
    calendar: Calendar
    row: Any = None  # the staff row, as crm.actions.core.Action.account_manager reads it


@dataclass(frozen=True)
class Decision:
    """An AM for the lead (``am_id``), or a wait (``waiting``: a key of ``WAIT_WORDS``)."""

    lead_id: int
    rule: Rule | None
    am_id: int | None
    waiting: str | None
    explanation: str


class Ledger(Protocol):
    def credits(self, rule_id: int) -> dict[int, rotation.Turn]: ...

    def set_credits(self, rule_id: int, credits: dict[int, rotation.Turn]) -> None: ...

    def received_since(self, starts: Mapping[int, datetime]) -> dict[int, int]:
        """New leads each AM received since their day began (``starts``: AM → UTC time)."""
        ...

    def open_leads(self, am_ids: Sequence[int]) -> dict[int, int]:
        """Each AM's open leads that have not deposited."""
        ...

    def record(self, am_id: int, lead: Mapping[str, Any], now: datetime) -> None:
        """The AM received ``lead`` at ``now``: one more today and one more open."""
        ...


def decide(
    lead: Mapping[str, Any],
    rules: Sequence[Rule],
    people: Mapping[int, Person],
    ledger: Ledger,
    now: datetime,
) -> Decision:
    """Who receives ``lead`` at ``now``, or why it waits; the pick is recorded in ``ledger``."""
    return decide_by(lead, first_match(rules, lead), people, ledger, now)


def decide_by(
    lead: Mapping[str, Any],
    rule: Rule | None,
    people: Mapping[int, Person],
    ledger: Ledger,
    now: datetime,
) -> Decision:
    """``decide`` when the lead's rule (``first_match``) is known already."""
    lead_id = lead["id"]
    desk = lead.get("desk") or "conversion"
    if rule is None:
        return Decision(lead_id, None, None, "no_rule", f"waiting: {no_rule_words(desk)}")
    weights = rule.weights
    if not any(_of_desk(people.get(am_id), desk) for am_id in weights):
        # The rule's segment takes the lead but its pool serves another desk: no shift would
        # ever change that, so the lead waits for a rule (and is in no pool's queue).
        return Decision(
            lead_id,
            None,
            None,
            "no_rule",
            f"waiting: {no_rule_words(desk)} (rule {rule.name}'s pool has no {desk} AM)",
        )
    pool = f"rule {rule.name} → pool of {len(rule.members)}"
    ends: dict[int, datetime] = {}
    starts: dict[int, datetime] = {}
    for am_id in weights:
        person = people.get(am_id)
        if (
            person is None
            or not person.is_active
            or person.role != "account_manager"
            or person.desk != desk
        ):
            continue
        end = person.calendar.shift_end(now)
        if end is not None:
            ends[am_id] = end
            starts[am_id] = person.calendar.day_start(now)
    if not ends:
        return Decision(lead_id, rule, None, "nobody_on_shift", f"waiting: {pool}; nobody on shift")
    today = ledger.received_since(starts)
    open_now = ledger.open_leads(sorted(ends)) if rule.open_cap is not None else {}
    available = {
        am_id: weights[am_id]
        for am_id in sorted(ends)
        if (rule.daily_cap is None or today.get(am_id, 0) < rule.daily_cap)
        and (rule.open_cap is None or open_now.get(am_id, 0) < rule.open_cap)
    }
    if not available:
        return Decision(lead_id, rule, None, "all_at_cap", f"waiting: {pool}; all at cap")
    chosen, credits = rotation.pick(ledger.credits(rule.id), available)
    ledger.set_credits(rule.id, credits)
    ledger.record(chosen, lead, now)
    person = people[chosen]
    received = today.get(chosen, 0) + 1
    parts = [pool, f"{person.name} next in rotation"]
    parts.append(f"{received} of {rule.daily_cap} today" if rule.daily_cap else f"{received} today")
    if rule.open_cap is not None:
        parts.append(f"{open_now.get(chosen, 0) + 1} of {rule.open_cap} open")
    end = ends[chosen]
    parts.append(f"on shift until {end:%H:%M} {zone_city(person.calendar.time_zone)}")
    return Decision(lead_id, rule, chosen, None, "; ".join(parts))


def wait_words(reason: str, desk: str | None = None) -> str:
    """Why leads wait, in words; a lead no rule takes is named by its desk."""
    if reason == "no_rule" and desk:
        return no_rule_words(desk)
    return WAIT_WORDS[reason]


def no_rule_words(desk: str) -> str:
    return f"no rule for the {desk} desk matches the lead"


def _of_desk(person: Person | None, desk: str) -> bool:
    return person is not None and person.role == "account_manager" and person.desk == desk


def decide_all(
    leads: Sequence[Mapping[str, Any]],
    rules: Sequence[Rule],
    people: Mapping[int, Person],
    ledger: Ledger,
    now: datetime,
) -> list[Decision]:
    """``decide`` for each lead in turn (registration order), all at ``now``."""
    # Pools (rule, desk) with nobody available, and why: at one moment caps only fill, so such
    # a pool stays full for the leads after.
    full: dict[tuple[int, str], Decision] = {}
    decisions = []
    for lead in leads:
        rule = first_match(rules, lead)
        pool = (rule.id, lead.get("desk") or "conversion") if rule is not None else None
        if pool in full:
            known = full[pool]
            decision = Decision(lead["id"], rule, None, known.waiting, known.explanation)
        else:
            decision = decide_by(lead, rule, people, ledger, now)
            if decision.waiting and pool is not None:
                full[pool] = decision
        decisions.append(decision)
    return decisions


def decide_queue(
    queue: Sequence[Mapping[str, Any]],
    rules: Sequence[Rule],
    people: Mapping[int, Person],
    ledger: Ledger,
    now: datetime,
) -> list[Decision]:
    """Waiting leads of one rule, oldest first, decided until one has to wait again: its pool
    is full then, and the leads after it wait as they were (not decided again)."""
    decisions = []
    for lead in queue:
        decision = decide(lead, rules, people, ledger, now)
        decisions.append(decision)
        if decision.am_id is None:
            break
    return decisions
