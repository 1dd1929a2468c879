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

import random
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from crm.actions.checks import check_action_id, ids_text, to_utc, whole
from crm.actions.claims import Deferred, claim, release, replay, store_result
from crm.actions.inserts import insert_many
from crm.actions.results import ActionRefused, ActionResult, LeadChanged
from crm.actions.roles import OWN_LEADS_ONLY, check_actor
from crm.actions.state import LEAD_STATE, jsonable, lead_state
from crm.actions.tables import AUDIT, LEADS, STAFF, STAFF_COLUMNS
from crm.db import deadlocked
from crm.models import utcnow

DEADLOCK_TRIES = 5


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
    now = to_utc(now or utcnow())
    check_action_id(action_id)
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
        claimed = claim(
            connection,
            action_id,
            action,
            actor_id=actor_id,
            integration_id=integration_id,
            now=now,
        )
    if not claimed:
        if deferred is not None and action_id in deferred.results:
            # The same event twice in one array: the first's result is not written yet.
            return deferred.replay(action_id, action)
        return replay(connection, action_id, action)
    message = work(context)
    context.check_own_leads()
    if context.unchanged and not context._audit:
        # Nothing to apply (a duplicate, a late status): the claim goes too, so the CRM is
        # as it was; the same id sent again is looked at afresh, and finds the same.
        release(connection, action_id)
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
    store_result(connection, stored)
    return result


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
