"""Undo an assignment of this shift (one lead or a bulk one), from its audit rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from crm.actions.checks import ids_text
from crm.actions.core import Action, run_action
from crm.actions.leads import ASSIGNMENTS, UNSTARRED, lead_count
from crm.actions.results import ActionRefused, ActionResult
from crm.actions.tables import APPLIED, AUDIT
from crm.models import AppliedAction, AuditLog

# A shift is at most this long: an assignment older than that is no longer "this shift's".
UNDO_WINDOW = timedelta(hours=12)


def undoable_assignments(connection: sa.Connection, actor_id: int, now: datetime) -> list:
    """The actor's assignments of more than one lead inside the undo window, newest first,
    not undone yet: rows of ``action_id``, ``at`` (first audit time), ``leads`` and ``result``
    (the first result, whose ``message`` names what was done)."""
    audit, applied = AuditLog.__table__, AppliedAction.__table__
    since = now - UNDO_WINDOW
    leads = sa.func.count(audit.c.id).label("leads")
    # Grouped before the join: PostgreSQL cannot group by the JSON result.
    bulk = (
        sa.select(audit.c.action_id, sa.func.min(audit.c.at).label("at"), leads)
        .where(audit.c.actor_id == actor_id, audit.c.action == "assign", audit.c.at >= since)
        .group_by(audit.c.action_id)
        .having(leads > 1)
        .subquery()
    )
    assignments = connection.execute(
        sa.select(bulk.c.action_id, bulk.c.at, bulk.c.leads, applied.c.result)
        .select_from(bulk.join(applied, applied.c.action_id == bulk.c.action_id))
        .order_by(bulk.c.at.desc())
    ).all()
    undos = connection.execute(
        sa.select(applied.c.result).where(
            applied.c.action == "undo_assignment", applied.c.applied_at >= since
        )
    ).scalars()
    undone = {(result or {}).get("details", {}).get("undone") for result in undos}
    return [row for row in assignments if row.action_id not in undone]


def undo_assignment(
    target: sa.Engine | sa.Connection,
    *,
    actor_id: int,
    action_id: str,
    assignment_action_id: str,
    now: datetime | None = None,
) -> ActionResult:
    """Undo an assignment (one lead or a bulk one) of this shift, from its audit rows.

    Each lead still as the assignment left it (same version) gets its owner, desk and status
    back, and the assignment row goes (the ETL sees the tombstone). A lead changed since is
    left as it is and named in the message; if every lead changed, nothing is undone.
    """

    def work(action: Action) -> str:
        connection = action.connection
        original = connection.execute(
            sa.select(APPLIED.c.action, APPLIED.c.applied_at).where(
                APPLIED.c.action_id == assignment_action_id
            )
        ).first()
        if original is None:
            raise ActionRefused(f"there is no action {assignment_action_id} to undo.")
        if original.action != "assign":
            raise ActionRefused(
                f"action {assignment_action_id} was {original.action!r}: only an assignment "
                "can be undone."
            )
        if action.now - original.applied_at > UNDO_WINDOW:
            raise ActionRefused(
                f"that assignment was made at {original.applied_at:%Y-%m-%d %H:%M} UTC, more "
                f"than {UNDO_WINDOW.total_seconds() / 3600:.0f} hours ago: undo works within the "
                "shift; assign the leads again instead."
            )
        _refuse_undone_already(connection, assignment_action_id, original.applied_at)
        # Per lead, the assignment's audit row and, after an assign-and-star, the star's.
        audited: dict[int, list] = {}
        for row in connection.execute(
            sa.select(AUDIT.c.lead_id, AUDIT.c.action, AUDIT.c.before, AUDIT.c.after).where(
                AUDIT.c.action_id == assignment_action_id
            )
        ):
            audited.setdefault(row.lead_id, []).append(row)
        for steps in audited.values():
            steps.sort(key=lambda step: step.after["version"])
        assigned = {lead_id: steps[0] for lead_id, steps in audited.items()}
        left = {lead_id: steps[-1].after["version"] for lead_id, steps in audited.items()}
        rows = action.lock_leads(left, check_versions=False)
        unchanged = sorted(
            lead_id for lead_id, version in left.items() if rows[lead_id].version == version
        )
        changed = sorted(set(assigned) - set(unchanged))
        if not unchanged:
            raise ActionRefused(
                f"nothing undone: every lead of that assignment changed since (lead "
                f"{ids_text(changed)}); assign them again instead."
            )
        # The star an assign-and-star gave goes too: the lead is back as it was.
        action.update_leads(
            rows,
            {
                lead_id: {
                    name: _restored(assigned[lead_id].before, name)
                    for name in ("am_id", "desk", "status", *UNSTARRED)
                }
                for lead_id in unchanged
            },
        )
        for chunk in _chunks([assigned[lead_id].after["assignment_id"] for lead_id in unchanged]):
            connection.execute(ASSIGNMENTS.delete().where(ASSIGNMENTS.c.id.in_(chunk)))
        action.details.update(undone=assignment_action_id, left_as_they_are=changed)
        message = f"assignment undone for {lead_count(len(unchanged))}"
        if changed:
            message += (
                f"; {lead_count(len(changed))} changed since and kept as they are "
                f"(lead {ids_text(changed)})"
            )
        return message + "."

    return run_action(
        target, "undo_assignment", work, action_id=action_id, actor_id=actor_id, now=now
    )


def _restored(before: dict, name: str) -> Any:
    value = before[name]
    if name == "starred_at" and value is not None:
        return datetime.fromisoformat(value)
    return value


def _refuse_undone_already(connection: sa.Connection, action_id: str, since: datetime) -> None:
    undos = connection.execute(
        sa.select(APPLIED.c.result, APPLIED.c.applied_at).where(
            APPLIED.c.action == "undo_assignment", APPLIED.c.applied_at >= since
        )
    )
    for undo in undos:
        if undo.result and undo.result["details"].get("undone") == action_id:
            raise ActionRefused(
                f"that assignment was already undone at {undo.applied_at:%H:%M} UTC."
            )


def _chunks(values: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
