"""Distribution in the CRM, inside an action's transaction: the new leads of a registration, or
the waiting leads and the "new leads" backlog on demand.

Every assignment is an ordinary one (``crm.actions.leads.assign_leads``: the assignments row,
the lead's new owner and version, the audit) with reason ``auto`` and the decision's
explanation as its note. A lead no one can take is kept in ``distribution_waiting`` with its
reason, and goes first, in registration order, when its pool has someone again.

Locks: the pool rows of every AM in the rules concerned (rule, AM order; ``FOR UPDATE`` on
PostgreSQL; on SQLite the action holds the database's write lock already), then the leads.
Holding each AM's pool rows in every rule serialises everything that could give that AM a lead,
so a cap read after the lock stays true until the commit. A run for a login or a declined
deposit (``crm.distribution.occasions``) holds its lead before the pool rows (the event's action
locked it to record the event), so the waiting leads a registration or backlog run takes along
are locked ``SKIP LOCKED``: a lead someone else holds is left for the next run, never waited
for, and the two orders cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from crm.actions.core import Action
from crm.actions.leads import assign_leads
from crm.actions.state import LEAD_STATE
from crm.actions.tables import LEADS, STAFF
from crm.distribution.availability import read_calendars
from crm.distribution.decide import Decision, Person, decide_all, decide_queue
from crm.distribution.ledger import LiveLedger, save_credits
from crm.distribution.rotation import Turn
from crm.distribution.rules import LEAD_FIELDS, POOL, RULES, Rule, first_match, load_rules
from crm.models import AmLeave, AmShift, DistributionWaiting

WAITING = DistributionWaiting.__table__
SHIFTS = AmShift.__table__
LEAVE = AmLeave.__table__
# Waiting leads read and locked at a time while a registration drains its rule's queue.
WAITING_CHUNK = 50
# A lead as a run locks it: its state (for the assignment) and what the rules read.
LOCKED_COLUMNS = [LEADS.c[name] for name in dict.fromkeys(("id", *LEAD_STATE, *LEAD_FIELDS))]
WAITING_COLUMNS = (
    WAITING.c.lead_id,
    WAITING.c.reason,
    WAITING.c.rule_id,
    WAITING.c.registered_at,
    WAITING.c.occasion,
)


def load_people(connection: sa.Connection, am_ids: Iterable[int]) -> dict[int, Person]:
    """The AMs ``am_ids`` with their calendars (zone, shifts, leave)."""
    am_ids = sorted(set(am_ids))
    if not am_ids:
        return {}
    staff = connection.execute(
        sa.select(
            STAFF.c.id,
            STAFF.c.name,
            STAFF.c.role,
            STAFF.c.desk,
            STAFF.c.is_active,
            STAFF.c.time_zone,
        ).where(STAFF.c.id.in_(am_ids))
    ).all()
    known = read_calendars(connection, {row.id: row.time_zone for row in staff})
    return {
        row.id: Person(
            row.id, row.name, row.role, row.desk, bool(row.is_active), known[row.id], row
        )
        for row in staff
    }


# The switched-on rules and their AMs' calendars, per CRM, with the token they were read at:
# read again only when a rule, pool, shift, leave or staff row changed (or went).
_SETUP: dict[str, tuple[tuple, list[Rule], dict[int, Person]]] = {}


def _token_query() -> sa.Select:
    parts = []
    for table in (RULES, SHIFTS, LEAVE, STAFF):
        parts.append(sa.select(sa.func.count()).select_from(table).scalar_subquery())
        parts.append(sa.select(sa.func.max(table.c.updated_at)).scalar_subquery())
    # The pools by their members and weights: their rows' stamps move with every rotation.
    parts.append(sa.select(sa.func.count()).select_from(POOL).scalar_subquery())
    parts.append(
        sa.select(sa.func.sum(POOL.c.weight * (POOL.c.am_id + POOL.c.rule_id))).scalar_subquery()
    )
    return sa.select(*parts)


# Built once: building it cost more than running it, at every registration.
_TOKEN = _token_query()


def _setup_token(connection: sa.Connection) -> tuple:
    return tuple(connection.execute(_TOKEN).one())


def active_setup(action: Action) -> tuple[list[Rule], dict[int, Person]]:
    """The switched-on rules and the calendars of their AMs, from the cache while nothing of
    them changed: a registration then reads one small row instead of five tables."""
    connection = action.connection
    key = connection.engine.url.render_as_string(hide_password=True)
    token = _setup_token(connection)
    cached = _SETUP.get(key)
    if cached is None or cached[0] != token:
        rules = load_rules(connection, active_only=True)
        people = load_people(connection, {m.am_id for rule in rules for m in rule.members})
        cached = _SETUP[key] = (token, rules, people)
    return cached[1], cached[2]


def distribute_registered(action: Action, leads: Sequence[Mapping[str, Any]]) -> list[Decision]:
    """Distribute leads just registered in ``action`` (their lead columns with ``id``), after
    the older waiting leads of the same rules. Does nothing while no rule is switched on."""
    rules, people = active_setup(action)
    if not rules:
        return []
    new = [{**lead, "version": 1} for lead in leads]
    run = Run(action, rules, people, new)
    matched = sorted({rule.id for lead in new if (rule := first_match(rules, lead))})
    for rule_id in matched:
        run.drain_waiting(rule_id)
    run.decide(new)
    return run.finish()


def distribute_backlog(
    action: Action, *, include_new: bool = False, limit: int = 10_000
) -> list[Decision]:
    """Distribute the waiting leads (and, with ``include_new``, every unassigned new lead), in
    registration order, at most ``limit`` of them."""
    rules, people = active_setup(action)
    if not rules:
        return []
    columns = [LEADS.c[name] for name in LEAD_FIELDS]
    if include_new:
        query = (
            sa.select(*columns)
            .where(LEADS.c.am_id.is_(None), LEADS.c.status == "new")
            .order_by(LEADS.c.registered_at, LEADS.c.id)
        )
    else:
        query = (
            sa.select(*columns)
            .select_from(WAITING.join(LEADS, LEADS.c.id == WAITING.c.lead_id))
            .order_by(WAITING.c.registered_at, WAITING.c.lead_id)
        )
    # Read first (unlocked) to know the rules concerned: their pool rows are locked before
    # the leads, the order every distribution takes.
    seen = [dict(row._mapping) for row in action.connection.execute(query.limit(limit))]
    if not seen:
        return []
    run = Run(action, rules, people, seen)
    leads = run.lock([lead["id"] for lead in seen])
    run.decide(leads, may_be_waiting=True)
    return run.finish()


class Run:
    """One distribution inside an action: the pool rows locked, the people and counts read,
    the decisions made in order and then written."""

    def __init__(
        self,
        action: Action,
        rules: list[Rule],
        people: dict[int, Person],
        leads: Sequence[Mapping[str, Any]],
    ):
        self.action, self.rules, self.people = action, rules, people
        connection = action.connection
        concerned = {rule.id: rule for lead in leads if (rule := first_match(rules, lead))}
        am_ids = sorted({m.am_id for rule in concerned.values() for m in rule.members})
        credits: dict[int, dict[int, Turn]] = {}
        if am_ids:
            for row in connection.execute(
                sa.select(POOL.c.rule_id, POOL.c.am_id, POOL.c.credit, POOL.c.epoch_received)
                .where(POOL.c.am_id.in_(am_ids))
                .order_by(POOL.c.rule_id, POOL.c.am_id)
                .with_for_update()
            ):
                credits.setdefault(row.rule_id, {})[row.am_id] = (row.credit, row.epoch_received)
        self.ledger = LiveLedger(connection, credits)
        # The AMs' staff rows serve the assignment's own check of the AM.
        for am_id in am_ids:
            if am_id in people:
                action.staff.setdefault(am_id, people[am_id].row)
        self.decided: list[tuple[dict, Decision]] = []
        self.waiting_rows: dict[int, Any] = {}
        # Lead id → why the rules ran for it, when not at its registration.
        self.occasions: dict[int, str] = {}

    def lock(self, lead_ids: list[int]) -> list[dict]:
        """The leads locked, in registration order, but those another transaction holds (left
        for the next run: see the module's locks); those someone assigned meanwhile leave the
        waiting list."""
        connection = self.action.connection
        rows = {
            row.id: row
            for row in connection.execute(
                sa.select(*LOCKED_COLUMNS)
                .where(LEADS.c.id.in_(sorted(lead_ids)))
                .order_by(LEADS.c.id)
                .with_for_update(skip_locked=True)
            )
        }
        owned = [lead_id for lead_id, row in rows.items() if row.am_id is not None]
        if owned:
            connection.execute(WAITING.delete().where(WAITING.c.lead_id.in_(owned)))
        leads = [dict(row._mapping) for row in rows.values() if row.am_id is None]
        return sorted(leads, key=lambda lead: (lead["registered_at"], lead["id"]))

    def know_waiting(self, rows) -> None:
        """The waiting rows of leads in this run (``lead_id``, ``reason``, ``rule_id``,
        ``occasion``): kept as they are unless decided otherwise."""
        for row in rows:
            self.waiting_rows[row.lead_id] = row
            if row.occasion:
                self.occasions.setdefault(row.lead_id, row.occasion)

    def drain_waiting(self, rule_id: int) -> None:
        """The rule's waiting leads, oldest first, until one has to wait again (its pool is
        full: the rest would wait too, and stay as they are)."""
        connection, after = self.action.connection, None
        while True:
            query = (
                sa.select(*WAITING_COLUMNS)
                .where(WAITING.c.rule_id == rule_id)
                .order_by(WAITING.c.registered_at, WAITING.c.lead_id)
                .limit(WAITING_CHUNK)
            )
            if after is not None:
                query = query.where(
                    sa.tuple_(WAITING.c.registered_at, WAITING.c.lead_id) > sa.tuple_(*after)
                )
            rows = connection.execute(query).all()
            if not rows:
                return
            self.know_waiting(rows)
            leads = self.lock([row.lead_id for row in rows])
            decisions = decide_queue(leads, self.rules, self.people, self.ledger, self.action.now)
            self.decided.extend(zip(leads, decisions, strict=False))
            if decisions and decisions[-1].am_id is None:
                return
            after = (rows[-1].registered_at, rows[-1].lead_id)

    def decide(self, leads: list[dict], *, may_be_waiting: bool = False) -> None:
        """Decide ``leads`` in order; ``may_be_waiting``: some are on the waiting list."""
        if may_be_waiting and leads:
            self.know_waiting(
                self.action.connection.execute(
                    sa.select(*WAITING_COLUMNS).where(
                        WAITING.c.lead_id.in_([lead["id"] for lead in leads])
                    )
                )
            )
        decisions = decide_all(leads, self.rules, self.people, self.ledger, self.action.now)
        self.decided.extend(zip(leads, decisions, strict=True))

    def finish(self) -> list[Decision]:
        action, now = self.action, self.action.now
        waits, assigned = [], []
        # One assignment write per AM (and star option), not per lead: a backlog of 10,000
        # leads goes in ~3 statements per AM.
        groups: dict[tuple[int, bool], dict[int, tuple[dict, Decision]]] = {}
        self.decided = [
            (lead, _because(self.occasions.get(lead["id"]), decision))
            for lead, decision in self.decided
        ]
        for lead, decision in self.decided:
            if decision.am_id is None:
                waits.append((lead, decision))
            else:
                key = (decision.am_id, decision.rule.star)
                groups.setdefault(key, {})[lead["id"]] = (lead, decision)
                assigned.append(lead["id"])
        for (am_id, star), leads in sorted(groups.items()):
            _assign(action, am_id, star, leads)
        _keep_waiting(action.connection, waits, self.waiting_rows, self.occasions, now)
        gone = [lead_id for lead_id in assigned if lead_id in self.waiting_rows]
        if gone:
            action.connection.execute(WAITING.delete().where(WAITING.c.lead_id.in_(gone)))
        save_credits(action.connection, self.ledger, now)
        return [decision for _, decision in self.decided]


def _because(occasion: str | None, decision: Decision) -> Decision:
    """The decision's explanation after why the rules ran ("returned after 12 days away")."""
    if not occasion:
        return decision
    return replace(decision, explanation=f"{occasion}; {decision.explanation}")


class _LeadRow(dict):
    """A lead's state as ``assign_leads`` reads a locked row (``row.am_id``): the lead was
    just inserted by this transaction or locked by it (``Run.lock``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _assign(
    action: Action, am_id: int, star: bool, leads: Mapping[int, tuple[dict, Decision]]
) -> None:
    rows = {
        lead_id: _LeadRow({name: lead.get(name) for name in (*LEAD_STATE, "ftd_at")})
        for lead_id, (lead, _) in leads.items()
    }
    changes = None
    if star:
        changes = {"is_starred": True, "starred_by_id": action.actor_id, "starred_at": action.now}
    assign_leads(
        action,
        rows,
        am_id=am_id,
        reason="auto",
        note=None,
        notes={lead_id: decision.explanation for lead_id, (_, decision) in leads.items()},
        changes=changes,
    )


def _keep_waiting(connection, waits, waiting_now, occasions, now) -> None:
    rows = [
        {
            "lead_id": lead["id"],
            "rule_id": decision.rule.id if decision.rule else None,
            "reason": decision.waiting,
            "registered_at": lead["registered_at"],
            "since": now,
            "occasion": occasions.get(lead["id"]),
            "updated_at": now,
        }
        for lead, decision in waits
        if (known := waiting_now.get(lead["id"])) is None
        or (known.reason, known.rule_id, known.occasion)
        != (decision.waiting, decision.rule and decision.rule.id, occasions.get(lead["id"]))
    ]
    if not rows:
        return
    insert = (postgresql if connection.dialect.name == "postgresql" else sqlite).insert(WAITING)
    connection.execute(
        insert.on_conflict_do_update(
            index_elements=[WAITING.c.lead_id],
            set_={
                "rule_id": insert.excluded.rule_id,
                "reason": insert.excluded.reason,
                "occasion": insert.excluded.occasion,
                "updated_at": insert.excluded.updated_at,
            },
        ),
        rows,
    )
