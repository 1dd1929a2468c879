"""How every action runs: one transaction, the actor checked, the action id claimed once, the
versions people saw checked in the UPDATE itself, every change audited.

An action is a function ``work(action: Action) -> str`` (its one-line message) run by
``run_action``. Inside it, ``Action.lock_leads`` reads the leads as they are (locked, in id
order, so two bulk actions never deadlock), ``Action.update_leads`` writes them with
``WHERE id = :id AND version = :seen`` and bumps ``version``, and ``Action.audit`` records
before and after. Anything refused raises ``ActionRefused``; the transaction then rolls back
whole and nothing is written, not even the claim on the action id, so the same id may be tried
again once the cause is fixed.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from numbers import Integral
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from crm.actions.inserts import insert_many
from crm.actions.text import check_text
from crm.db import deadlocked
from crm.errors import UserError
from crm.models import AppliedAction, AuditLog, Lead, Staff, utcnow

LEADS = Lead.__table__
STAFF = Staff.__table__
AUDIT = AuditLog.__table__
APPLIED = AppliedAction.__table__
STAFF_COLUMNS = (STAFF.c.id, STAFF.c.name, STAFF.c.role, STAFF.c.desk, STAFF.c.is_active)

BULK_LIMIT = 1_000
DEADLOCK_TRIES = 5
NOTE_MAX_CHARS = 2_000
ACTION_ID_MAX_CHARS = 64
# The columns people change, which ``version`` counts: the audit's before and after hold these,
# so replaying the audit log gives each lead's state.
LEAD_STATE = (
    "am_id",
    "desk",
    "status",
    "is_starred",
    "starred_by_id",
    "starred_at",
    "priority",
    "callback_at",
    "compliance_status",
    "version",
)
# What the brokerage's own systems send in (crm/actions/ingest_*.py): through the ingest API
# as an integration, from `python -m crm import`, or from the Import page as its manager.
INGEST_ACTIONS = frozenset(
    {"ingest_leads", "platform_event", "deposit_event", "dialer_call", "inbox_dismiss"}
)
# Lead distribution (issue 25): managers on the page, or the command line and its watcher.
DISTRIBUTION_ACTIONS = frozenset(
    {"distribution_rule", "distribution_shifts", "distribution_runs", "distribute"}
)
# Actions the trading platform (or an import) takes with no person behind them.
PLATFORM_ACTIONS = frozenset({"register", *INGEST_ACTIONS, *DISTRIBUTION_ACTIONS})
# Managing the integrations of the ingest API (crm/integrations.py): admins, or the command line.
INTEGRATION_ADMIN_ACTIONS = frozenset(
    {"integration_add", "integration_rotate", "integration_revoke", "staff_set_extension"}
)
# Staff accounts are also managed from the command line (python -m crm staff ...), by whoever
# holds the CRM's database URL: no person is signed in there either. crm.staff lets an actor of
# None through only when its caller says it is the command line.
COMMAND_LINE_ACTIONS = frozenset(
    {"staff_add", "staff_set_role", "staff_set_active", "staff_set_password"}
    | INTEGRATION_ADMIN_ACTIONS
)

# Who may take each action (issue 6). An action missing here is refused to everyone.
ADMIN = "admin"
ACCOUNT_MANAGER = "account_manager"
MANAGERS = ("admin", "sales_manager", "lead_manager")
ACTION_ROLES: dict[str, tuple[str, ...]] = {
    "assign": MANAGERS,
    "add_note": (*MANAGERS, ACCOUNT_MANAGER),
    "star": MANAGERS,
    "unstar": MANAGERS,
    "end_of_shift": MANAGERS,
    "undo_assignment": MANAGERS,
    "log_call": (ACCOUNT_MANAGER,),
    "assign_failed_deposit": MANAGERS,
    "assign_for_upsale": MANAGERS,
    "record_on_target_board": MANAGERS,
    "approve_compliance": MANAGERS,
    "register": MANAGERS,
    "set_calling_hours": MANAGERS,
    "set_working_days": MANAGERS,
    **dict.fromkeys(INGEST_ACTIONS, MANAGERS),
    **dict.fromkeys(DISTRIBUTION_ACTIONS, MANAGERS),
    **dict.fromkeys(COMMAND_LINE_ACTIONS, (ADMIN,)),
}
# Roles that act only on the leads they own.
OWN_LEADS_ONLY = frozenset({ACCOUNT_MANAGER})
ROLE_WORDS = {
    "admin": "an admin",
    "sales_manager": "a sales manager",
    "lead_manager": "a lead manager",
    "account_manager": "an account manager",
    "executive": "an executive",
}
SHOWN_IDS = 5


class ActionRefused(UserError):
    """An action that was not applied, and why, in one line; nothing was written."""


class LeadChanged(ActionRefused):
    """The lead is no longer the version the person saw: someone else changed it meanwhile."""

    def __init__(self, lead_id: int, seen: int, current: int, by: str | None = None):
        self.lead_id, self.seen, self.current = lead_id, seen, current
        who = f" by {by}" if by else ""
        super().__init__(
            f"lead {lead_id} was changed{who} since you saw it (version {seen}, now {current}): "
            "nothing was saved; look at it again and redo your change if it still applies."
        )


@dataclass(frozen=True)
class ActionResult:
    """What an action did: its message, and each lead's new version for the page to keep."""

    action_id: str
    action: str
    message: str
    versions: dict[int, int] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False  # True when this action id had been applied before: nothing written

    def stored(self) -> dict:
        return {
            "message": self.message,
            "versions": {str(lead_id): v for lead_id, v in self.versions.items()},
            "details": self.details,
        }

    @classmethod
    def from_stored(cls, action_id: str, action: str, stored: dict) -> ActionResult:
        return cls(
            action_id=action_id,
            action=action,
            message=stored["message"],
            versions={int(lead_id): v for lead_id, v in stored["versions"].items()},
            details=stored["details"],
            replayed=True,
        )


def new_action_id() -> str:
    """A fresh action id: the page makes one per form and keeps it in session state, so that a
    rerun or a second click sends the same id again."""
    return uuid.uuid4().hex


def run_action(
    target: sa.Engine | sa.Connection,
    action: str,
    work: Callable[[Action], str],
    *,
    action_id: str,
    actor_id: int | None,
    now: datetime | None = None,
    staff: Iterable[int] = (),
    integration_id: int | None = None,
    deferred: Deferred | None = None,
) -> ActionResult:
    """Run ``work`` as the action ``action`` once per ``action_id``, all or nothing.

    ``staff``: the AMs the action will name, read with the actor (``Action.account_manager``).
    ``integration_id``: the system acting when no person does (the ingest API's integration),
    named in the audit and beside the action id.

    On an engine the action is its own transaction (``BEGIN IMMEDIATE`` on SQLite). On a
    connection it joins the transaction the caller has begun and commits with it (the
    simulator writes a whole tick at once). ``deferred`` (on a connection only) leaves the
    audit rows and the stored result to be written with other actions' (``Deferred``).
    """
    now = _utc(now or utcnow())
    _check_action_id(action_id)
    if actor_id is not None:
        actor_id = whole(actor_id, "staff id")
    who = (actor_id, integration_id)
    if isinstance(target, sa.Connection):
        return _run(target, action, work, action_id, who, now, staff, deferred)
    if deferred is not None:
        raise ValueError("deferred writes need the caller's transaction: pass a connection")
    # PostgreSQL may pick this transaction as a deadlock's victim: two actions on different
    # leads of the same AMs meet on the AMs' kept open-lead counts (migration 0011), which the
    # leads' triggers lock in whatever order the leads' AMs come. The victim rolled back whole,
    # so running it again from the start is safe; the second try finds the other one done.
    for attempt in range(1, DEADLOCK_TRIES + 1):
        connection = target.connect().execution_options(sqlite_begin="IMMEDIATE")
        try:
            with connection, connection.begin():
                return _run(connection, action, work, action_id, who, now, staff)
        except sa.exc.OperationalError as error:
            if attempt == DEADLOCK_TRIES or not deadlocked(error):
                raise
            time.sleep(random.uniform(0, 0.02 * attempt))
    raise AssertionError("unreachable")


def _run(connection, action, work, action_id, who, now, staff, deferred=None) -> ActionResult:
    actor_id, integration_id = who
    context = Action(connection, action, action_id, actor_id, now, integration_id)
    if deferred is not None:
        context.shared = deferred.shared
    context.staff = check_actor(connection, actor_id, action, staff)
    actor = context.staff.get(actor_id) if actor_id is not None else None
    if actor is not None and actor.role in OWN_LEADS_ONLY:
        context.own_leads_of = actor_id
    # The action id is claimed before any change. A twin transaction carrying the same id (a
    # double click reaching two script threads) waits here until this one ends; if this one
    # committed, the twin's claim finds the key taken and it answers with this one's result.
    # ``Deferred.claim`` may have claimed it already, with the other actions of its array.
    claimed = deferred is not None and deferred.take(action_id, action)
    if not claimed:
        claimed = connection.execute(
            _CLAIM[connection.dialect.name],
            {
                "action_id": action_id,
                "actor_id": actor_id,
                "integration_id": integration_id,
                "action": action,
                "applied_at": now,
                "lead_count": 0,
                "result": None,
            },
        ).first()
    if claimed is None:
        if deferred is not None and action_id in deferred.results:
            # The same event twice in one array: the first's result is not written yet.
            return deferred.replay(action_id, action)
        return _replay(connection, action_id, action)
    message = work(context)
    context.check_own_leads()
    if context.unchanged and not context._audit:
        # Nothing to apply (a duplicate, a late status): the claim goes too, so the CRM is
        # as it was; the same id sent again is looked at afresh, and finds the same.
        connection.execute(APPLIED.delete().where(APPLIED.c.action_id == action_id))
        return ActionResult(action_id, action, message, details=context.details)
    result = ActionResult(
        action_id=action_id,
        action=action,
        message=message,
        versions=context.versions,
        details=context.details,
    )
    stored = {
        "claimed_id": action_id,
        "lead_count": len(context.leads_touched),
        "result": result.stored(),
    }
    if deferred is not None:
        deferred.keep(action, context._audit, stored)
        context._audit = []
        return result
    context.flush()
    connection.execute(_RESULT, stored)
    return result


class Deferred:
    """Several actions of the system in one transaction, their statements shared: the action
    ids claimed at once first (``claim``), each one's audit rows and stored result written for
    all of them at the end (``write``), three statements instead of three an action. An array
    of the ingest API's events is applied so: a dozen round trips an event were most of its
    time.

    Only for a caller that rolls the whole transaction back when one of its actions fails: an
    action refused midway has no savepoint of its own to undo what it wrote before.
    """

    def __init__(self):
        self.audit: list[dict] = []
        self.results: dict[str, dict] = {}  # action id → its claim's stored result
        self._actions: dict[str, str] = {}  # action id → action
        self._claimed: dict[str, str] = {}  # claimed by ``claim``, not yet run: id → action
        self.shared: dict = {}  # ``Action.shared`` of each of these actions

    def claim(
        self,
        connection: sa.Connection,
        action: str,
        action_ids: Iterable[str],
        *,
        integration_id: int | None,
        now: datetime,
    ) -> None:
        """Claim the ids of actions about to run, in one statement and in id order: two
        transactions claiming some of the same ids wait for each other, never in a circle,
        and hold no lead yet. An id taken already is left to its action, which replays it."""
        now = _utc(now)
        rows = [
            {
                "action_id": action_id,
                "actor_id": None,
                "integration_id": integration_id,
                "action": action,
                "applied_at": now,
                "lead_count": 0,
                "result": None,
            }
            for action_id in sorted(set(action_ids))
        ]
        if rows:
            claimed = connection.execute(_CLAIM[connection.dialect.name], rows).scalars()
            self._claimed.update(dict.fromkeys(claimed, action))

    def take(self, action_id: str, action: str) -> bool:
        """Whether ``claim`` claimed this id for this action (once: a second run of the same
        id claims it as usual, and finds it taken)."""
        return self._claimed.get(action_id) == action and self._claimed.pop(action_id) == action

    def keep(self, action: str, audit: list[dict], stored: dict) -> None:
        self.audit.extend(audit)
        self.results[stored["claimed_id"]] = stored
        self._actions[stored["claimed_id"]] = action

    def replay(self, action_id: str, action: str) -> ActionResult:
        if self._actions[action_id] != action:
            raise ActionRefused(
                f"action id {action_id} was already used for {self._actions[action_id]!r}, "
                f"not {action!r}: each action needs its own id (crm.actions.new_action_id)."
            )
        # As stored: through JSON, like a replay read back from the CRM.
        stored = json.loads(json.dumps(self.results[action_id]["result"]))
        return ActionResult.from_stored(action_id, action, stored)

    def write(self, connection: sa.Connection) -> None:
        """Write what was kept, in the actions' transaction, before it commits."""
        insert_many(connection, AUDIT, self.audit)
        if self.results:
            connection.execute(_RESULT, list(self.results.values()))
        self.audit, self.results, self._actions = [], {}, {}


# Every action runs these two: built once (an event of the ingest API is a dozen statements,
# and building and keying each anew cost as much as running it).
_CLAIM = {
    name: dialect.insert(APPLIED)
    .on_conflict_do_nothing(index_elements=[APPLIED.c.action_id])
    .returning(APPLIED.c.action_id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_RESULT = APPLIED.update().where(APPLIED.c.action_id == sa.bindparam("claimed_id"))


def _insert(connection: sa.Connection):
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert


def _replay(connection: sa.Connection, action_id: str, action: str) -> ActionResult:
    row = connection.execute(
        sa.select(APPLIED.c.action, APPLIED.c.result).where(APPLIED.c.action_id == action_id)
    ).one()
    if row.action != action:
        raise ActionRefused(
            f"action id {action_id} was already used for {row.action!r}, not {action!r}: "
            "each action needs its own id (crm.actions.new_action_id)."
        )
    return ActionResult.from_stored(action_id, action, row.result)


def check_actor(
    connection: sa.Connection, actor_id: int | None, action: str, also: Iterable[int] = ()
) -> dict[int, sa.Row]:
    """Who may take an action: the one place a role check goes (``ACTION_ROLES``).

    The actor must be an active staff member whose role may take ``action``, read from the CRM
    in the action's own transaction, so a deactivated or demoted person is refused at once. An
    account manager is further held to their own leads (``Action.lock_leads``,
    ``Action.check_own_leads``).

    Returns the staff rows of the actor and of ``also`` (the AMs the action names), read in
    the same query: each round trip to the database counts in a 20 ms budget.
    """
    wanted = {int(i) for i in (*also, actor_id) if isinstance(i, Integral)}
    staff = (
        {
            row.id: row
            for row in connection.execute(
                sa.select(*STAFF_COLUMNS).where(STAFF.c.id.in_(sorted(wanted)))
            )
        }
        if wanted
        else {}
    )
    if actor_id is None:
        if action in PLATFORM_ACTIONS or action in COMMAND_LINE_ACTIONS:
            return staff
        raise ActionRefused(f"{action}: nobody is signed in; sign in and try again.")
    actor = staff.get(actor_id)
    if actor is None:
        raise ActionRefused(f"{action}: there is no staff member {actor_id}; sign in again.")
    if not actor.is_active:
        raise ActionRefused(f"{action}: {actor.name}'s account is inactive; ask an admin.")
    allowed = ACTION_ROLES.get(action, ())
    if actor.role not in allowed:
        raise ActionRefused(_not_allowed(action, actor, allowed))
    return staff


def _not_allowed(action: str, actor: sa.Row, allowed: tuple[str, ...]) -> str:
    words = action.replace("_", " ")
    if actor.role == "executive":
        return f"{words}: {actor.name} is an executive: executives read and change nothing."
    if allowed == (ACCOUNT_MANAGER,):
        return f"{actor.name} is not an account manager: only the AM who made a call logs it."
    if allowed == (ADMIN,):
        return f"{words}: only an admin manages staff accounts; {actor.name} is not one."
    who = " or ".join(ROLE_WORDS[role] for role in allowed)
    role = ROLE_WORDS.get(actor.role, actor.role)
    return f"{words}: {actor.name} is {role}; only {who} may do this."


class Action:
    """One action in progress: its connection, who, when, and what it has changed so far."""

    def __init__(self, connection, action, action_id, actor_id, now, integration_id=None):
        self.connection: sa.Connection = connection
        self.action: str = action
        self.action_id: str = action_id
        self.actor_id: int | None = actor_id
        self.integration_id: int | None = integration_id
        # Set by an action that found nothing to change: it then leaves no trace at all.
        self.unchanged: bool = False
        self.now: datetime = now
        self.versions: dict[int, int] = {}
        self.details: dict[str, Any] = {}
        self.leads_touched: set[int] = set()
        self.staff: dict[int, sa.Row] = {}  # read with the actor, by id
        # An AM's id: the action may touch only the leads this AM owns (``check_own_leads``).
        self.own_leads_of: int | None = None
        self._owned_checked: set[int] = set()
        self._audit: list[dict] = []
        # What the actions sharing a transaction read once for all (``Deferred.shared``): an
        # agent by email, a currency's rate; this action's own otherwise.
        self.shared: dict = {}

    # Leads -----------------------------------------------------------------------------------

    def lock_leads(
        self, seen: Mapping[int, int], *columns: sa.Column, check_versions: bool = True
    ) -> dict[int, sa.Row]:
        """The leads (state columns and ``columns``), locked in id order; refused when one does
        not exist or (``check_versions``) is no longer the version the person saw."""
        wanted = {name: LEADS.c[name] for name in ("id", *LEAD_STATE)}
        wanted.update((column.name, column) for column in columns)
        rows = {
            row.id: row
            for row in self.connection.execute(
                sa.select(*wanted.values())
                .where(LEADS.c.id.in_(sorted(seen)))
                .order_by(LEADS.c.id)
                .with_for_update()
            )
        }
        missing = sorted(set(seen) - set(rows))
        if missing:
            raise ActionRefused(
                f"there is no lead {ids_text(missing)}: it may have been deleted; reload the list."
            )
        if self.own_leads_of is not None:
            self._refuse_not_owned(
                sorted(i for i, row in rows.items() if row.am_id != self.own_leads_of)
            )
            self._owned_checked.update(rows)
        for lead_id in sorted(seen) if check_versions else ():
            if rows[lead_id].version != seen[lead_id]:
                raise self.changed(lead_id, seen[lead_id], rows[lead_id].version)
        return rows

    def check_own_leads(self) -> None:
        """Refuse an AM's action on a lead they do not own, for leads the action touched
        without ``lock_leads`` (a note): the last check before anything is written."""
        if self.own_leads_of is None:
            return
        unchecked = sorted(self.leads_touched - self._owned_checked)
        if not unchecked:
            return
        owners = dict(
            self.connection.execute(
                sa.select(LEADS.c.id, LEADS.c.am_id).where(LEADS.c.id.in_(unchecked))
            ).all()
        )
        self._refuse_not_owned([i for i in unchecked if owners.get(i) != self.own_leads_of])

    def _refuse_not_owned(self, not_owned: list[int]) -> None:
        if not_owned:
            raise ActionRefused(
                f"lead {ids_text(not_owned)} is not yours: an account manager acts only on the "
                "leads assigned to them."
            )

    def update_leads(
        self,
        rows: Mapping[int, sa.Row],
        changes: Mapping[int, Mapping[str, Any]],
        audit_extra: Mapping[int, dict] | None = None,
        audited_as: str | None = None,
    ) -> None:
        """Write ``changes`` (the same columns for every lead) to leads read by ``lock_leads``,
        each only if still at the version read, and audit each: before, after (with
        ``audit_extra``'s references, e.g. the assignment row, beside the state), under the
        action's name or ``audited_as`` (the star of an assign-and-star)."""
        if not changes:
            return
        columns = sorted(next(iter(changes.values())))
        statement = (
            LEADS.update()
            .where(LEADS.c.id == sa.bindparam("b_id"), LEADS.c.version == sa.bindparam("b_seen"))
            .values(
                {
                    **{
                        name: sa.bindparam(f"b_{name}", type_=LEADS.c[name].type)
                        for name in columns
                    },
                    "version": LEADS.c.version + 1,
                    "updated_at": sa.bindparam("b_now", type_=LEADS.c.updated_at.type),
                }
            )
        )
        parameters = [
            {
                "b_id": lead_id,
                "b_seen": rows[lead_id].version,
                "b_now": self.now,
                **{f"b_{name}": values[name] for name in columns},
            }
            for lead_id, values in sorted(changes.items())
        ]
        written = self.connection.execute(statement, parameters).rowcount
        if written != len(parameters):
            # Only reachable if a writer bypassed the lock; find and name the lead.
            for lead_id in sorted(changes):
                current = self.connection.scalar(
                    sa.select(LEADS.c.version).where(LEADS.c.id == lead_id)
                )
                if current != rows[lead_id].version + 1:
                    raise self.changed(lead_id, rows[lead_id].version, current)
        for lead_id, values in changes.items():
            before = lead_state(rows[lead_id])
            after = {**before, **jsonable(dict(values)), "version": before["version"] + 1}
            if audit_extra and lead_id in audit_extra:
                after.update(jsonable(audit_extra[lead_id]))
            self.versions[lead_id] = after["version"]
            self.audit(lead_id, before, after, audited_as=audited_as)

    def changed(self, lead_id: int, seen: int, current: int | None) -> LeadChanged:
        """The conflict for ``lead_id``, naming who changed it last when the audit says."""
        who = self.connection.execute(
            sa.select(STAFF.c.name)
            .select_from(AUDIT.join(STAFF, STAFF.c.id == AUDIT.c.actor_id))
            .where(AUDIT.c.lead_id == lead_id)
            .order_by(AUDIT.c.id.desc())
            .limit(1)
        ).scalar()
        return LeadChanged(lead_id, seen, current if current is not None else seen, who)

    # Audit -----------------------------------------------------------------------------------

    def audit(
        self,
        lead_id: int | None,
        before: dict | None,
        after: dict | None,
        audited_as: str | None = None,
    ) -> None:
        if lead_id is not None:
            self.leads_touched.add(lead_id)
        self._audit.append(
            {
                "action_id": self.action_id,
                "actor_id": self.actor_id,
                "integration_id": self.integration_id,
                "action": audited_as or self.action,
                "lead_id": lead_id,
                "before": before,
                "after": after,
                "at": self.now,
                "updated_at": self.now,
            }
        )

    def flush(self) -> None:
        if self._audit:
            insert_many(self.connection, AUDIT, self._audit)
            self._audit = []

    # Staff -----------------------------------------------------------------------------------

    def account_manager(self, am_id: int, desk: str | None = None) -> sa.Row:
        """The AM ``am_id``, refused unless an active account manager (on ``desk``, if given)."""
        if am_id is None:
            raise ActionRefused("no account manager chosen: pick one from the list.")
        am = (
            self.staff.get(am_id)
            or self.connection.execute(sa.select(*STAFF_COLUMNS).where(STAFF.c.id == am_id)).first()
        )
        if am is None:
            raise ActionRefused(f"there is no account manager {am_id}: pick one from the list.")
        if am.role != "account_manager":
            raise ActionRefused(f"{am.name} is not an account manager: pick an AM.")
        if not am.is_active:
            raise ActionRefused(f"{am.name} is inactive (left the team): pick an active AM.")
        if desk is not None and am.desk != desk:
            raise ActionRefused(
                f"{am.name} works on the {am.desk or 'no'} desk, not {desk}: pick a {desk} AM."
            )
        return am


# Input checks ----------------------------------------------------------------------------------


def whole(value: Any, what: str, *, none: bool = False) -> int | None:
    """An id, version or count as a plain ``int`` (None stays None with ``none``); refused
    when it is not a whole number.

    Ids taken from a dataframe are numpy integers, which the database drivers do not take as
    numbers (SQLite binds one as a blob, which matches no row) and JSON does not write."""
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ActionRefused(f"{what} {value!r} is not a whole number.")
    return int(value)


def seen_versions(leads: Any, limit: int = BULK_LIMIT) -> dict[int, int]:
    """``{lead id: version the person saw}`` from a mapping, (lead_id, version) pairs, or
    objects with ``lead_id`` and ``version`` (``crm.shift``'s LeadRef); refused when empty,
    contradictory or over ``limit``."""
    if isinstance(leads, Mapping):
        pairs: Iterable = leads.items()
    else:
        pairs = (
            (lead.lead_id, lead.version) if hasattr(lead, "lead_id") else tuple(lead)
            for lead in leads
        )
    seen: dict[int, int] = {}
    for lead_id, version in pairs:
        # Integral, not int: ids taken from a dataframe are numpy integers.
        if isinstance(lead_id, bool) or not isinstance(lead_id, Integral):
            raise ActionRefused(f"{lead_id!r} is not a lead id: pick leads from the list.")
        if isinstance(version, bool) or not isinstance(version, Integral):
            raise ActionRefused(f"lead {lead_id}: {version!r} is not a version; reload the list.")
        lead_id, version = int(lead_id), int(version)
        if seen.setdefault(lead_id, version) != version:
            raise ActionRefused(f"lead {lead_id} is listed twice with different versions.")
    if not seen:
        raise ActionRefused("no lead selected: pick at least one lead.")
    if len(seen) > limit:
        raise ActionRefused(
            f"{len(seen):,} leads selected, more than {limit:,} at once: narrow the filter or "
            "act in several steps."
        )
    return seen


def clean_note(note: str | None, *, required: bool) -> str | None:
    """The note without outer blanks; refused when required and empty, or too long."""
    text = (note or "").strip()
    if not text:
        if required:
            raise ActionRefused("the note is empty: write what happened.")
        return None
    if len(text) > NOTE_MAX_CHARS:
        raise ActionRefused(
            f"the note is {len(text):,} characters, more than {NOTE_MAX_CHARS:,}: shorten it."
        )
    check_text(text, "the note", multiline=True)
    return text


def _check_action_id(action_id: str) -> None:
    if not isinstance(action_id, str) or not action_id.strip():
        raise ActionRefused("the action has no id: make one with crm.actions.new_action_id().")
    if len(action_id) > ACTION_ID_MAX_CHARS:
        raise ActionRefused(f"the action id is longer than {ACTION_ID_MAX_CHARS} characters.")


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware (UTC) time")
    return moment.astimezone(timezone.utc)


def ids_text(ids: list[int]) -> str:
    """Up to five ids for a message, then how many more."""
    shown = ", ".join(str(i) for i in ids[:SHOWN_IDS])
    return shown + (f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")


# The audited state -----------------------------------------------------------------------------


def jsonable(values: dict) -> dict:
    """Values as the audit log's JSON holds them: times in ISO UTC, money as text."""
    out = {}
    for key, value in values.items():
        if isinstance(value, datetime):
            value = value.astimezone(timezone.utc).isoformat()
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out[key] = value
    return out


def lead_state(row: Any) -> dict:
    """The audited state of a lead row (or mapping of its columns)."""
    get = row.get if isinstance(row, Mapping) else row._mapping.get
    return jsonable({name: get(name) for name in LEAD_STATE})
