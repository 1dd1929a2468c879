"""The lead and sales managers' actions on distribution (issue 25): rules and their pools, the
AMs' shifts and leave, the optional runs (returning leads, failed deposits), and distributing
the waiting leads or the "new leads" backlog."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import sqlalchemy as sa

from crm.actions.checks import whole
from crm.actions.core import Action, run_action
from crm.actions.distribution_leave import add_leave, cancel_leave
from crm.actions.distribution_runs import run_occasions, set_runs
from crm.actions.results import ActionRefused, ActionResult
from crm.actions.state import jsonable
from crm.actions.text import check_text
from crm.distribution.assign import SHIFTS, WAITING, distribute_backlog
from crm.distribution.availability import MINUTES_A_DAY, Shift
from crm.distribution.rules import LIST_SEGMENTS, POOL, RULES
from crm.models import DEPOSIT_SEGMENTS, DESKS

MAX_WEIGHT = 100
MAX_CAP = 100_000
MAX_POOL = 400


def save_rule(
    target: sa.Engine | sa.Connection,
    *,
    actor_id: int | None,
    action_id: str,
    name: str,
    pool: Mapping[int, int],
    segment: Mapping[str, Sequence[str] | None] | None = None,
    hours: tuple[int, int] | None = None,
    deposit_status: str | None = None,
    daily_cap: int | None = None,
    open_cap: int | None = None,
    star: bool = False,
    position: int | None = None,
    now: datetime | None = None,
) -> ActionResult:
    """Add the rule ``name`` or replace its segment, pool (``{AM id: weight}``) and caps; a new
    rule goes last and starts switched off (replay it first). Members kept keep their place in
    the rotation."""
    name = (name or "").strip()
    if not name:
        raise ActionRefused("the rule has no name: name it, e.g. EU-EN.")
    check_text(name, "the rule's name")
    if len(name) > 80:
        raise ActionRefused("the rule's name is longer than 80 characters.")
    values = _segment_values(segment or {}, hours, deposit_status)
    values["daily_cap"] = _cap(daily_cap, "new leads a day")
    values["open_cap"] = _cap(open_cap, "open leads")
    values["star"] = bool(star)
    weights = _pool(pool)

    def work(action: Action) -> str:
        connection = action.connection
        for am_id in sorted(weights):
            action.account_manager(am_id)
        existing = connection.execute(sa.select(RULES).where(RULES.c.name == name)).first()
        stamp = {"updated_at": action.now}
        if existing is None:
            last = connection.scalar(sa.select(sa.func.max(RULES.c.position))) or 0
            rule_id = connection.execute(
                RULES.insert().returning(RULES.c.id),
                {
                    "name": name,
                    "position": position if position is not None else last + 1,
                    "is_active": False,
                    "created_by_id": action.actor_id,
                    "created_at": action.now,
                    **values,
                    **stamp,
                },
            ).scalar_one()
            before = None
        else:
            rule_id = existing.id
            before = jsonable(dict(existing._mapping))
            changes = {**values, **stamp}
            if position is not None:
                changes["position"] = position
            connection.execute(RULES.update().where(RULES.c.id == rule_id).values(changes))
        kept = {
            row.am_id: row
            for row in connection.execute(
                sa.select(POOL).where(POOL.c.rule_id == rule_id).with_for_update()
            )
        }
        gone = sorted(set(kept) - set(weights))
        if gone:
            connection.execute(
                POOL.delete().where(POOL.c.rule_id == rule_id, POOL.c.am_id.in_(gone))
            )
        for am_id, weight in sorted(weights.items()):
            if am_id in kept:
                if kept[am_id].weight != weight:
                    connection.execute(
                        POOL.update()
                        .where(POOL.c.rule_id == rule_id, POOL.c.am_id == am_id)
                        .values(weight=weight, **stamp)
                    )
            else:
                connection.execute(
                    POOL.insert(),
                    {"rule_id": rule_id, "am_id": am_id, "weight": weight, "credit": 0, **stamp},
                )
        # New weights or members: the rotation's windows start afresh (its credits stay).
        connection.execute(
            POOL.update()
            .where(POOL.c.rule_id == rule_id)
            .values(epoch_received=None, updated_at=action.now)
        )
        action.audit(
            None,
            before,
            {"rule": name, "rule_id": rule_id, **jsonable(values), "pool": _text_keys(weights)},
        )
        action.details["rule_id"] = rule_id
        verb = "added (switched off: replay it, then switch it on)" if before is None else "saved"
        return f"rule {name} {verb}: pool of {len(weights)}."

    return run_action(
        target,
        "distribution_rule",
        work,
        action_id=action_id,
        actor_id=actor_id,
        now=now,
        staff=tuple(weights),
    )


def switch_rule(
    target, *, actor_id: int | None, action_id: str, name: str, on: bool, now=None
) -> ActionResult:
    """Switch a rule on (it assigns new leads from now on) or off."""

    def work(action: Action) -> str:
        rule = _rule(action, name)
        if bool(rule.is_active) == bool(on):
            action.unchanged = True
            return f"rule {rule.name} is already {'on' if on else 'off'}."
        action.connection.execute(
            RULES.update()
            .where(RULES.c.id == rule.id)
            .values(is_active=bool(on), updated_at=action.now)
        )
        action.audit(None, {"rule": rule.name, "is_active": rule.is_active}, {"is_active": on})
        return f"rule {rule.name} switched {'on' if on else 'off'}."

    return run_action(
        target, "distribution_rule", work, action_id=action_id, actor_id=actor_id, now=now
    )


def remove_rule(target, *, actor_id: int | None, action_id: str, name: str, now=None):
    """Remove a rule and its pool; its waiting leads wait again as matching no rule."""

    def work(action: Action) -> str:
        rule = _rule(action, name)
        connection = action.connection
        connection.execute(
            WAITING.update()
            .where(WAITING.c.rule_id == rule.id)
            .values(rule_id=None, updated_at=action.now)
        )
        connection.execute(POOL.delete().where(POOL.c.rule_id == rule.id))
        connection.execute(RULES.delete().where(RULES.c.id == rule.id))
        action.audit(None, {"rule": rule.name, "rule_id": rule.id}, None)
        return f"rule {rule.name} removed."

    return run_action(
        target, "distribution_rule", work, action_id=action_id, actor_id=actor_id, now=now
    )


def set_shifts(
    target,
    *,
    actor_id: int | None,
    action_id: str,
    am_id: int,
    shifts: Sequence[Shift],
    now=None,
) -> ActionResult:
    """Replace an AM's weekly shifts (in the AM's own time zone); no shift on a day: day off."""
    am_id = whole(am_id, "account manager")
    for shift in shifts:
        if not (0 <= shift.weekday <= 6):
            raise ActionRefused(f"weekday {shift.weekday} is not one: use 0 (Monday) to 6.")
        for minute in (shift.start_minute, shift.end_minute):
            if not (0 <= minute <= MINUTES_A_DAY):
                raise ActionRefused(f"{minute} is not a minute of the day (0 to 1440).")
        if shift.start_minute == shift.end_minute:
            # Read as overnight it would be a whole day; said so, it is more likely a slip.
            raise ActionRefused(
                f"{shift.text()} starts and ends at the same time: for the whole day write "
                "00:00-24:00."
            )
    same_day = sorted(
        (s for s in shifts if not s.overnight), key=lambda s: (s.weekday, s.start_minute)
    )
    for earlier, later in zip(same_day, same_day[1:], strict=False):
        if earlier.weekday == later.weekday and later.start_minute < earlier.end_minute:
            raise ActionRefused(f"{earlier.text()} and {later.text()} overlap: make them one.")

    def work(action: Action) -> str:
        am = action.account_manager(am_id)
        action.connection.execute(SHIFTS.delete().where(SHIFTS.c.am_id == am_id))
        if shifts:
            action.connection.execute(
                SHIFTS.insert(),
                [
                    {
                        "am_id": am_id,
                        "weekday": s.weekday,
                        "start_minute": s.start_minute,
                        "end_minute": s.end_minute,
                        "created_at": action.now,
                        "updated_at": action.now,
                    }
                    for s in shifts
                ],
            )
        week = ", ".join(s.text() for s in shifts) or "no shifts"
        action.audit(None, None, {"am_id": am_id, "shifts": week})
        return f"{am.name}'s week: {week}."

    return run_action(
        target,
        "distribution_shifts",
        work,
        action_id=action_id,
        actor_id=actor_id,
        now=now,
        staff=(am_id,),
    )


def run_backlog(
    target,
    *,
    actor_id: int | None,
    action_id: str,
    include_new: bool = False,
    limit: int = 10_000,
    now=None,
) -> ActionResult:
    """Distribute the waiting leads, in registration order (with ``include_new``: every
    unassigned new lead), by the rules that are switched on."""

    def work(action: Action) -> str:
        decisions = distribute_backlog(action, include_new=include_new, limit=limit)
        assigned = sum(d.am_id is not None for d in decisions)
        action.details["assigned"] = assigned
        action.details["waiting"] = len(decisions) - assigned
        if not decisions:
            action.unchanged = True
            return "nothing to distribute (no waiting lead, or no rule switched on)."
        return f"{assigned:,} leads assigned; {len(decisions) - assigned:,} still waiting."

    return run_action(target, "distribute", work, action_id=action_id, actor_id=actor_id, now=now)


# Checks ----------------------------------------------------------------------------------------


def _rule(action: Action, name: str) -> sa.Row:
    rule = action.connection.execute(
        sa.select(RULES).where(RULES.c.name == (name or "").strip())
    ).first()
    if rule is None:
        raise ActionRefused(f"there is no rule {name!r}: see `python -m crm distribution rules`.")
    return rule


def _segment_values(segment, hours, deposit_status) -> dict:
    unknown = sorted(set(segment) - {column for column, _ in LIST_SEGMENTS})
    if unknown:
        raise ActionRefused(f"{', '.join(unknown)} is not a segment of a rule.")
    values = {}
    for column, field in LIST_SEGMENTS:
        wanted = segment.get(column)
        if wanted is None:
            values[column] = None
            continue
        cleaned = sorted({str(value).strip() for value in wanted if str(value).strip()})
        if not cleaned:
            raise ActionRefused(f"the rule's {column} is empty: list one or leave it out.")
        for value in cleaned:
            check_text(value, f"the rule's {field}")
        if column == "desks" and set(cleaned) - set(DESKS):
            raise ActionRefused(f"{', '.join(cleaned)}: a desk is conversion or retention.")
        if column == "countries":
            cleaned = [value.upper() for value in cleaned]
        values[column] = cleaned
    if hours is None:
        values["hour_from"] = values["hour_until"] = None
    else:
        start, end = hours
        if not all(isinstance(h, int) and 0 <= h <= 24 for h in (start, end)) or start == end:
            raise ActionRefused(f"{start}-{end} is not a span of hours: use e.g. 8-20 (UTC).")
        values["hour_from"], values["hour_until"] = start % 24, end % 24
    if deposit_status is not None and deposit_status not in DEPOSIT_SEGMENTS:
        raise ActionRefused(
            f"{deposit_status!r} is not a deposit status: use deposited or not_deposited."
        )
    values["deposit_status"] = deposit_status
    return values


def _cap(value, what: str) -> int | None:
    if value is None:
        return None
    value = whole(value, f"the cap on {what}")
    if not 1 <= value <= MAX_CAP:
        raise ActionRefused(f"a cap on {what} of {value} is not 1 to {MAX_CAP:,}.")
    return value


def _pool(pool: Mapping[int, int]) -> dict[int, int]:
    if not pool:
        raise ActionRefused("the pool is empty: name at least one AM.")
    if len(pool) > MAX_POOL:
        raise ActionRefused(f"a pool of {len(pool)} AMs is more than {MAX_POOL}.")
    weights = {}
    for am_id, weight in pool.items():
        am_id = whole(am_id, "account manager")
        weight = whole(weight, f"AM {am_id}'s weight")
        if not 1 <= weight <= MAX_WEIGHT:
            raise ActionRefused(f"AM {am_id}'s weight {weight} is not 1 to {MAX_WEIGHT}.")
        weights[am_id] = weight
    return weights


def _text_keys(weights: Mapping[int, int]) -> dict[str, int]:
    return {str(am_id): weight for am_id, weight in sorted(weights.items())}


__all__ = [
    "add_leave",
    "cancel_leave",
    "remove_rule",
    "run_backlog",
    "run_occasions",
    "save_rule",
    "set_runs",
    "set_shifts",
    "switch_rule",
]
