"""An AM's leave (issue 25): days away, on which distribution gives them no lead. A lead or
sales manager adds it and cancels it, on the Distribution page or the command line.

Refused, with nothing written: an end before the start, a spell longer than ``MAX_LEAVE_DAYS``,
and days that overlap leave the AM has already (two spells over one day would leave the first
behind when the second is cancelled; a manager who wants longer leave cancels and adds again).
Spells that only touch (one ends Friday, the next starts Saturday) are two spells.

Cancelling keeps the past: leave that is over is the record of days away (the replay of a past
period reads it) and is refused; leave under way ends the day before the AM's today (their own
zone), so they are back from today; leave that has not started goes."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from crm.actions.checks import whole
from crm.actions.core import Action, run_action
from crm.actions.results import ActionRefused, ActionResult
from crm.models import AmLeave, Staff
from crm.time_zones import find_zone, floor_zone_name

LEAVE = AmLeave.__table__
MAX_LEAVE_DAYS = 366


def add_leave(
    target, *, actor_id: int | None, action_id: str, am_id: int, first: date, last: date, now=None
) -> ActionResult:
    """Days an AM is away (both included): they receive no lead on them."""
    am_id = whole(am_id, "account manager")
    if last < first:
        raise ActionRefused(f"the leave ends ({last}) before it starts ({first}).")
    if (last - first).days + 1 > MAX_LEAVE_DAYS:
        raise ActionRefused(
            f"leave from {first} to {last} is longer than {MAX_LEAVE_DAYS} days: add a year "
            "at a time."
        )

    def work(action: Action) -> str:
        am = action.account_manager(am_id)
        clash = action.connection.execute(
            sa.select(LEAVE.c.first_day, LEAVE.c.last_day)
            .where(LEAVE.c.am_id == am_id, LEAVE.c.first_day <= last, LEAVE.c.last_day >= first)
            .order_by(LEAVE.c.first_day)
            .limit(1)
        ).first()
        if clash is not None:
            raise ActionRefused(
                f"{am.name} is on leave from {clash.first_day} to {clash.last_day} already: "
                "cancel that leave first, or pick days around it."
            )
        leave_id = action.connection.execute(
            LEAVE.insert().returning(LEAVE.c.id),
            {
                "am_id": am_id,
                "first_day": first,
                "last_day": last,
                "created_at": action.now,
                "updated_at": action.now,
            },
        ).scalar_one()
        action.audit(
            None, None, {"am_id": am_id, "leave_id": leave_id, "leave": _span(first, last)}
        )
        action.details["leave_id"] = leave_id
        return f"{am.name} is on leave from {first} to {last}."

    return run_action(
        target,
        "distribution_shifts",
        work,
        action_id=action_id,
        actor_id=actor_id,
        now=now,
        staff=(am_id,),
    )


def cancel_leave(
    target, *, actor_id: int | None, action_id: str, leave_id: int, now=None
) -> ActionResult:
    """Cancel a spell of leave that has not ended: it goes, or, under way, ends yesterday (the
    AM's day), so the AM receives leads again from today."""
    leave_id = whole(leave_id, "leave")

    def work(action: Action) -> str:
        connection = action.connection
        spell = connection.execute(
            sa.select(LEAVE).where(LEAVE.c.id == leave_id).with_for_update()
        ).first()
        if spell is None:
            raise ActionRefused(f"there is no leave {leave_id} (cancelled already?): reload.")
        am = connection.execute(
            sa.select(Staff.name, Staff.time_zone).where(Staff.id == spell.am_id)
        ).one()
        zone = find_zone(am.time_zone or floor_zone_name())
        today = action.now.astimezone(zone).date()
        span = _span(spell.first_day, spell.last_day)
        before = {"am_id": spell.am_id, "leave_id": leave_id, "leave": span}
        if spell.last_day < today:
            raise ActionRefused(
                f"{am.name}'s leave from {spell.first_day} to {spell.last_day} is over: it "
                "stays as the record of days away."
            )
        if spell.first_day < today:
            back = today - timedelta(days=1)
            connection.execute(
                LEAVE.update()
                .where(LEAVE.c.id == leave_id)
                .values(last_day=back, updated_at=action.now)
            )
            action.audit(None, before, {**before, "leave": _span(spell.first_day, back)})
            return f"{am.name}'s leave ends {back} instead of {spell.last_day}: back from {today}."
        connection.execute(LEAVE.delete().where(LEAVE.c.id == leave_id))
        action.audit(None, before, None)
        return f"{am.name}'s leave from {spell.first_day} to {spell.last_day} is cancelled."

    return run_action(
        target, "distribution_shifts", work, action_id=action_id, actor_id=actor_id, now=now
    )


def _span(first: date, last: date) -> str:
    return f"{first} to {last}"
