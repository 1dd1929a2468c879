"""The lead manager's actions on leads: assign, note, star, end of shift (undo is in undo.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa

from crm.actions.checks import BULK_LIMIT, clean_note, ids_text, seen_versions, whole
from crm.actions.core import Action, run_action
from crm.actions.ownership import check_taking, on_the_list, taken_words
from crm.actions.results import ActionRefused, ActionResult
from crm.actions.tables import LEADS
from crm.models import ASSIGNMENT_REASONS, Assignment, Note

ASSIGNMENTS = Assignment.__table__
NOTES = Note.__table__

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
    star: bool = False,
    now: datetime | None = None,
) -> ActionResult:
    """Assign one or many leads (``{lead id: version seen}``) to an AM, with a reason; with
    ``star``, star them too (on the AM's list now), in the same transaction.

    The retention reason moves the leads to the retention desk; any other keeps each on its
    desk, and the AM must work on that desk. Every assignment is kept in ``assignments``.
    Taking a lead another AM owns needs the reason "reassignment" and a note
    (``check_taking``); the retention desk's handover of clients is exempt.
    """
    am_id = whole(am_id, "account manager", none=True)
    _check_reason(reason)
    seen = seen_versions(leads)
    note = clean_note(note, required=False)

    def work(action: Action) -> str:
        rows = action.lock_leads(seen, LEADS.c.ftd_at)
        am = action.account_manager(am_id, desk_for(rows, reason))
        taken = {} if reason == "retention" else check_taking(action, rows, am, reason, note)
        assign_leads(action, rows, am_id=am_id, reason=reason, note=note, star=star)
        message = f"{lead_count(len(rows))} assigned to {am.name} ({reason.replace('_', ' ')})"
        return message + on_the_list(action, rows, am, star) + taken_words(taken, am) + "."

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
    star: bool = False,
    notes: Mapping[int, str] | None = None,
) -> sa.Row:
    """Assign leads locked by ``action.lock_leads`` (with ``ftd_at``); ``changes`` are further
    columns to set in the same write (a priority, a compliance status), ``audit_extra`` further
    references for the audit (a call, a deposit). With ``star`` the leads are then starred, a
    second change audited as a star, so the audit shows both. ``notes``: a note per lead
    instead of ``note`` (the distribution's explanations). Returns the AM."""
    desk = desk_for(rows, reason)
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
                    "note": notes[lead_id] if notes is not None else note,
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
    # A lead starred already stays on the list (now the new AM's): no second change for it.
    to_star = [lead_id for lead_id in ordered if not rows[lead_id].is_starred] if star else []
    if to_star:
        assigned = action.lock_leads({lead_id: action.versions[lead_id] for lead_id in to_star})
        action.update_leads(
            assigned, {lead_id: _starred(action) for lead_id in to_star}, audited_as="star"
        )
        action.details["starred"] = to_star
    return am


def desk_for(rows: Mapping[int, sa.Row], reason: str) -> str:
    """The desk the leads go to: retention for the retention reason (clients only), else the
    one desk they are all on."""
    if reason == "retention":
        not_clients = sorted(lead_id for lead_id, row in rows.items() if row.ftd_at is None)
        if not_clients:
            raise ActionRefused(
                f"lead {ids_text(not_clients)} has not deposited: only clients go to the "
                "retention desk."
            )
        return "retention"
    desks = {row.desk for row in rows.values()}
    if len(desks) > 1:
        raise ActionRefused(
            "the selected leads are on both desks: assign conversion and retention leads "
            "separately."
        )
    (desk,) = desks
    return desk


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
        return f"{lead_count(len(seen))} starred."

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
        return f"{lead_count(len(seen))} unstarred."

    return run_action(target, "unstar", work, action_id=action_id, actor_id=actor_id, now=now)


class LeadRef(Protocol):
    """A lead as the person saw it: ``crm.shift.LeadRef`` has this shape."""

    lead_id: int
    version: int


class ShiftPlan(Protocol):
    """What end of shift changes, as previewed (``crm.shift.plan_end_of_shift``)."""

    unstar: Iterable[LeadRef]
    star: Iterable[LeadRef]
    # The missed callbacks starred again (crm.shift); a plan without them carries none.
    carried: Iterable[LeadRef]


def end_of_shift(
    target: sa.Engine | sa.Connection,
    *,
    actor_id: int,
    action_id: str,
    plan: ShiftPlan,
    now: datetime | None = None,
) -> ActionResult:
    """Apply the previewed end-of-shift plan in one transaction: unstar and star its leads,
    and star again its missed callbacks (``carried``).

    A lead in both lists stays starred (restamped now). If any lead changed since the preview,
    nothing is applied: preview again.
    """
    unstar_seen = _plan_part(plan.unstar)
    carried_seen = _plan_part(getattr(plan, "carried", ()))
    star_seen = {**_plan_part(plan.star), **carried_seen}
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
        due = len(star_seen) - len(carried_seen)
        message = f"end of shift: {lead_count(unstarred)} unstarred, {lead_count(due)} starred"
        if carried_seen:
            missed = len(carried_seen)
            message += f", {missed:,} missed callback{'' if missed == 1 else 's'} carried over"
        return message + "."

    return run_action(target, "end_of_shift", work, action_id=action_id, actor_id=actor_id, now=now)


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


def _status_after(status: str, reason: str) -> str:
    if reason == "retention":
        return "retention"
    if reason == "follow_up":
        # A client who has deposited stays converted (or on retention) while an AM chases a
        # callback: the funnel does not step back because a call went unanswered.
        return status if status in ("converted", "retention") else "follow_up"
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


def lead_count(count: int) -> str:
    return f"{count:,} lead" + ("" if count == 1 else "s")
