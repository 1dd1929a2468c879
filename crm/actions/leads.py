"""The lead manager's actions on leads: assign, note, star, end of shift, undo an assignment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa

from crm.actions.core import (
    APPLIED,
    AUDIT,
    BULK_LIMIT,
    LEADS,
    Action,
    ActionRefused,
    ActionResult,
    clean_note,
    ids_text,
    run_action,
    seen_versions,
    whole,
)
from crm.models import ASSIGNMENT_REASONS, AppliedAction, Assignment, AuditLog, Note

ASSIGNMENTS = Assignment.__table__
NOTES = Note.__table__

# A shift is at most this long: an assignment older than that is no longer "this shift's".
UNDO_WINDOW = timedelta(hours=12)
# End of shift turns over a whole floor's stars at once, not one page's selection.
END_OF_SHIFT_LIMIT = 10 * BULK_LIMIT


def assign(
    target: sa.Engine | sa.Connection,
    *,
    actor_id: int,
    action_id: str,
    leads: Any,
    am_id: int,
    reason: str,
    note: str | None = None,
    now: datetime | None = None,
) -> ActionResult:
    """Assign one or many leads (``{lead id: version seen}``) to an AM, with a reason.

    The retention reason moves the leads to the retention desk; any other keeps each on its
    desk, and the AM must work on that desk. Every assignment is kept in ``assignments``.
    """
    am_id = whole(am_id, "account manager", none=True)
    _check_reason(reason)
    seen = seen_versions(leads)
    note = clean_note(note, required=False)

    def work(action: Action) -> str:
        rows = action.lock_leads(seen, LEADS.c.ftd_at)
        am = assign_leads(action, rows, am_id=am_id, reason=reason, note=note)
        return f"{_leads(len(rows))} assigned to {am.name} ({reason.replace('_', ' ')})."

    return run_action(
        target, "assign", work, action_id=action_id, actor_id=actor_id, now=now, staff=(am_id,)
    )


def assign_leads(
    action: Action,
    rows: Mapping[int, sa.Row],
    *,
    am_id: int,
    reason: str,
    note: str | None,
    changes: Mapping[str, Any] | None = None,
    audit_extra: Mapping[str, Any] | None = None,
) -> sa.Row:
    """Assign leads locked by ``action.lock_leads`` (with ``ftd_at``); ``changes`` are further
    columns to set in the same write (a priority, a compliance status), ``audit_extra`` further
    references for the audit (a call, a deposit). Returns the AM."""
    if reason == "retention":
        not_clients = sorted(lead_id for lead_id, row in rows.items() if row.ftd_at is None)
        if not_clients:
            raise ActionRefused(
                f"lead {ids_text(not_clients)} has not deposited: only clients go to the "
                "retention desk."
            )
        desk = "retention"
    else:
        desks = {row.desk for row in rows.values()}
        if len(desks) > 1:
            raise ActionRefused(
                "the selected leads are on both desks: assign conversion and retention leads "
                "separately."
            )
        (desk,) = desks
    am = action.account_manager(am_id, desk)
    ordered = sorted(rows)
    assignment_ids = (
        action.connection.execute(
            ASSIGNMENTS.insert().returning(ASSIGNMENTS.c.id, sort_by_parameter_order=True),
            [
                {
                    "lead_id": lead_id,
                    "from_am_id": rows[lead_id].am_id,
                    "to_am_id": am_id,
                    "from_desk": rows[lead_id].desk,
                    "to_desk": desk,
                    "by_id": action.actor_id,
                    "reason": reason,
                    "note": note,
                    "assigned_at": action.now,
                    "created_at": action.now,
                    "updated_at": action.now,
                }
                for lead_id in ordered
            ],
        )
        .scalars()
        .all()
    )
    action.update_leads(
        rows,
        {
            lead_id: {
                "am_id": am_id,
                "desk": desk,
                "status": _status_after(rows[lead_id].status, reason),
                **(changes or {}),
            }
            for lead_id in ordered
        },
        audit_extra={
            lead_id: {"assignment_id": assignment_id, **(audit_extra or {})}
            for lead_id, assignment_id in zip(ordered, assignment_ids, strict=True)
        },
    )
    return am


def add_note(
    target: sa.Engine | sa.Connection,
    *,
    actor_id: int,
    action_id: str,
    lead_id: int,
    body: str,
    now: datetime | None = None,
) -> ActionResult:
    """A note on a lead. It changes no state of the lead, so it checks no version."""
    lead_id = whole(lead_id, "lead id")
    text = clean_note(body, required=True)

    def work(action: Action) -> str:
        if action.connection.scalar(sa.select(LEADS.c.id).where(LEADS.c.id == lead_id)) is None:
            raise ActionRefused(f"there is no lead {lead_id}: reload the list.")
        note_id = action.connection.execute(
            NOTES.insert().returning(NOTES.c.id),
            {
                "lead_id": lead_id,
                "author_id": action.actor_id,
                "body": text,
                "created_at": action.now,
                "updated_at": action.now,
            },
        ).scalar_one()
        action.audit(lead_id, None, {"note_id": note_id, "body": text})
        action.details["note_id"] = note_id
        return f"note added to lead {lead_id}."

    return run_action(target, "add_note", work, action_id=action_id, actor_id=actor_id, now=now)


def star(
    target: sa.Engine | sa.Connection,
    *,
    actor_id: int,
    action_id: str,
    leads: Any,
    now: datetime | None = None,
) -> ActionResult:
    """Star leads: each becomes available to its AM now."""
    seen = seen_versions(leads)

    def work(action: Action) -> str:
        rows = action.lock_leads(seen)
        _refuse_unowned(rows, seen)
        action.update_leads(rows, {lead_id: _starred(action) for lead_id in seen})
        return f"{_leads(len(seen))} starred."

    return run_action(target, "star", work, action_id=action_id, actor_id=actor_id, now=now)


def unstar(
    target: sa.Engine | sa.Connection,
    *,
    actor_id: int,
    action_id: str,
    leads: Any,
    now: datetime | None = None,
) -> ActionResult:
    """Unstar leads: their AMs no longer see them as work for now."""
    seen = seen_versions(leads)

    def work(action: Action) -> str:
        rows = action.lock_leads(seen)
        action.update_leads(rows, {lead_id: UNSTARRED for lead_id in seen})
        return f"{_leads(len(seen))} unstarred."

    return run_action(target, "unstar", work, action_id=action_id, actor_id=actor_id, now=now)


class LeadRef(Protocol):
    """A lead as the person saw it: ``crm.shift.LeadRef`` has this shape."""

    lead_id: int
    version: int


class ShiftPlan(Protocol):
    """What end of shift changes, as previewed (``crm.shift.plan_end_of_shift``)."""

    unstar: Iterable[LeadRef]
    star: Iterable[LeadRef]


def end_of_shift(
    target: sa.Engine | sa.Connection,
    *,
    actor_id: int,
    action_id: str,
    plan: ShiftPlan,
    now: datetime | None = None,
) -> ActionResult:
    """Apply the previewed end-of-shift plan in one transaction: unstar and star its leads.

    A lead in both lists stays starred (restamped now). If any lead changed since the preview,
    nothing is applied: preview again.
    """
    unstar_seen = _plan_part(plan.unstar)
    star_seen = _plan_part(plan.star)
    for lead_id in unstar_seen.keys() & star_seen.keys():
        if unstar_seen[lead_id] != star_seen[lead_id]:
            raise ActionRefused(f"lead {lead_id} is in the plan twice with different versions.")
    seen = {**unstar_seen, **star_seen}
    if len(seen) > END_OF_SHIFT_LIMIT:
        raise ActionRefused(
            f"the end-of-shift plan changes {len(seen):,} leads, more than "
            f"{END_OF_SHIFT_LIMIT:,}: check the calling hours and the plan."
        )

    def work(action: Action) -> str:
        if not seen:
            return "end of shift: nothing to change."
        rows = action.lock_leads(seen)
        _refuse_unowned(rows, star_seen)
        starred = _starred(action)
        action.update_leads(
            rows,
            {lead_id: starred if lead_id in star_seen else UNSTARRED for lead_id in sorted(seen)},
        )
        unstarred = len(seen) - len(star_seen)
        return f"end of shift: {_leads(unstarred)} unstarred, {_leads(len(star_seen))} starred."

    return run_action(target, "end_of_shift", work, action_id=action_id, actor_id=actor_id, now=now)


def undoable_assignments(connection: sa.Connection, actor_id: int, now: datetime) -> list:
    """The actor's assignments of more than one lead inside the undo window, newest first,
    not undone yet: rows of ``action_id``, ``at`` (first audit time), ``leads`` and ``result``
    (the first result, whose ``message`` names what was done)."""
    audit, applied = AuditLog.__table__, AppliedAction.__table__
    since = now - UNDO_WINDOW
    leads = sa.func.count(audit.c.id).label("leads")
    assignments = connection.execute(
        sa.select(audit.c.action_id, sa.func.min(audit.c.at).label("at"), leads, applied.c.result)
        .select_from(audit.join(applied, applied.c.action_id == audit.c.action_id))
        .where(audit.c.actor_id == actor_id, audit.c.action == "assign", audit.c.at >= since)
        .group_by(audit.c.action_id, applied.c.result)
        .having(leads > 1)
        .order_by(sa.func.min(audit.c.at).desc())
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
        assigned = {
            row.lead_id: row
            for row in connection.execute(
                sa.select(AUDIT.c.lead_id, AUDIT.c.before, AUDIT.c.after).where(
                    AUDIT.c.action_id == assignment_action_id
                )
            )
        }
        rows = action.lock_leads(
            {lead_id: row.after["version"] for lead_id, row in assigned.items()},
            check_versions=False,
        )
        unchanged = sorted(
            lead_id
            for lead_id, row in assigned.items()
            if rows[lead_id].version == row.after["version"]
        )
        changed = sorted(set(assigned) - set(unchanged))
        if not unchanged:
            raise ActionRefused(
                f"nothing undone: every lead of that assignment changed since (lead "
                f"{ids_text(changed)}); assign them again instead."
            )
        action.update_leads(
            rows,
            {
                lead_id: {
                    name: assigned[lead_id].before[name] for name in ("am_id", "desk", "status")
                }
                for lead_id in unchanged
            },
        )
        for chunk in _chunks([assigned[lead_id].after["assignment_id"] for lead_id in unchanged]):
            connection.execute(ASSIGNMENTS.delete().where(ASSIGNMENTS.c.id.in_(chunk)))
        action.details.update(undone=assignment_action_id, left_as_they_are=changed)
        message = f"assignment undone for {_leads(len(unchanged))}"
        if changed:
            message += (
                f"; {_leads(len(changed))} changed since and kept as they are "
                f"(lead {ids_text(changed)})"
            )
        return message + "."

    return run_action(
        target, "undo_assignment", work, action_id=action_id, actor_id=actor_id, now=now
    )


# Helpers ---------------------------------------------------------------------------------------

UNSTARRED = {"is_starred": False, "starred_by_id": None, "starred_at": None}


def _starred(action: Action) -> dict:
    return {"is_starred": True, "starred_by_id": action.actor_id, "starred_at": action.now}


def _refuse_unowned(rows: Mapping[int, sa.Row], leads: Iterable[int]) -> None:
    unowned = sorted(lead_id for lead_id in leads if rows[lead_id].am_id is None)
    if unowned:
        raise ActionRefused(
            f"lead {ids_text(unowned)} has no AM, so a star would show it to nobody: assign it "
            "first."
        )


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


def _status_after(status: str, reason: str) -> str:
    if reason == "retention":
        return "retention"
    if reason == "follow_up":
        return "follow_up"
    # A new lead (or one given up on) becomes work again; a further stage is kept.
    return "assigned" if status in ("new", "lost") else status


def _check_reason(reason: str) -> None:
    if reason == "auto":
        raise ActionRefused(
            "auto is the distribution rules' reason: pick the reason for your assignment."
        )
    if reason not in ASSIGNMENT_REASONS:
        raise ActionRefused(
            f"{reason!r} is not a reason to assign: use one of "
            f"{', '.join(r for r in ASSIGNMENT_REASONS if r != 'auto')}."
        )


def _plan_part(leads: Iterable[LeadRef]) -> dict[int, int]:
    leads = list(leads)
    return seen_versions(leads, limit=END_OF_SHIFT_LIMIT) if leads else {}


def _leads(count: int) -> str:
    return f"{count:,} lead" + ("" if count == 1 else "s")


def _chunks(values: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
