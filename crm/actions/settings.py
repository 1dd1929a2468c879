"""Settings of the sales floor that managers change: the calling hours, the working days."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from crm.actions.core import Action, run_action
from crm.actions.results import ActionRefused, ActionResult
from crm.errors import UserError
from crm.models import CrmSetting
from crm.settings import CALLING_HOURS, WORKING_DAYS, CallingHours, WorkingDays

SETTINGS = CrmSetting.__table__


def set_calling_hours(
    target: sa.Engine | sa.Connection,
    *,
    actor_id: int,
    action_id: str,
    hours: str,
    now: datetime | None = None,
) -> ActionResult:
    """Set the local hours of the lead's day in which AMs may call (``HH:MM-HH:MM``)."""
    try:
        parsed = CallingHours.parse(hours)
    except UserError as error:
        raise ActionRefused(str(error)) from None

    def work(action: Action) -> str:
        write_setting(action, CALLING_HOURS, str(parsed))
        return f"calling hours set to {parsed}, in each lead's own time zone."

    return run_action(
        target, "set_calling_hours", work, action_id=action_id, actor_id=actor_id, now=now
    )


def set_working_days(
    target: sa.Engine | sa.Connection,
    *,
    actor_id: int,
    action_id: str,
    days: str,
    now: datetime | None = None,
) -> ActionResult:
    """Set the days of the lead's week the floor calls on (``Mon-Fri``, ``Sun,Mon,Tue``)."""
    try:
        parsed = WorkingDays.parse(days)
    except UserError as error:
        raise ActionRefused(str(error)) from None

    def work(action: Action) -> str:
        write_setting(action, WORKING_DAYS, str(parsed))
        return f"working days set to {parsed}, in each lead's own week."

    return run_action(
        target, "set_working_days", work, action_id=action_id, actor_id=actor_id, now=now
    )


def write_setting(action: Action, key: str, value: str) -> None:
    """Set the setting ``key`` to ``value`` and audit it (before and after)."""
    before = action.connection.scalar(sa.select(SETTINGS.c.value).where(SETTINGS.c.key == key))
    if before is None:
        action.connection.execute(
            SETTINGS.insert().values(key=key, value=value, updated_at=action.now)
        )
    else:
        action.connection.execute(
            SETTINGS.update()
            .where(SETTINGS.c.key == key)
            .values(value=value, updated_at=action.now)
        )
    action.audit(None, None if before is None else {key: before}, {key: value})
