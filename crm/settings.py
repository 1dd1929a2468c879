"""Settings of the sales floor kept in the CRM's ``crm_settings`` table.

``calling_hours``: the local hours of the lead's own day in which an AM may call, written
``HH:MM-HH:MM`` (start included, end excluded). Pages show whether a lead is inside them now;
end of shift stars the leads whose contact falls inside them tomorrow.

``working_days``: the days of the lead's own week on which the floor calls, written
``Mon-Fri`` (a range) or ``Sun,Mon,Tue,Wed,Thu`` (a list); Monday to Friday when none is set.
The default callback falls on the lead's next working day (``default_callback``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa

from crm.errors import UserError
from crm.models import CrmSetting

CALLING_HOURS = "calling_hours"
WORKING_DAYS = "working_days"
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# The morning hour a callback is set for by default, when the calling hours allow it.
CALLBACK_HOUR = time(10, 0)


@dataclass(frozen=True)
class CallingHours:
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> CallingHours:
        """``"09:00-20:00"`` → CallingHours; a one-line UserError for anything else."""
        try:
            first, last = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError:
            raise UserError(
                f"calling hours {text!r} are not HH:MM-HH:MM: write them like 09:00-20:00"
            ) from None
        if first >= last:
            raise UserError(
                f"calling hours {text!r} end before they start: write them like 09:00-20:00"
            )
        return cls(first, last)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, local: time) -> bool:
        """Whether a wall-clock time of the lead's own day is inside the calling hours."""
        return self.start <= local.replace(tzinfo=None) < self.end

    @property
    def start_minute(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self) -> int:
        return self.end.hour * 60 + self.end.minute


DEFAULT_CALLING_HOURS = CallingHours(time(9, 0), time(20, 0))


def calling_hours(connection: sa.Connection) -> CallingHours:
    """The CRM's calling hours, or the default 09:00-20:00 when none are set."""
    text = connection.execute(
        sa.select(CrmSetting.value).where(CrmSetting.key == CALLING_HOURS)
    ).scalar_one_or_none()
    return CallingHours.parse(text) if text else DEFAULT_CALLING_HOURS


@dataclass(frozen=True)
class WorkingDays:
    """The weekdays the floor calls on (0 Monday ... 6 Sunday), in the lead's own week."""

    days: frozenset[int]

    @classmethod
    def parse(cls, text: str) -> WorkingDays:
        """``"Mon-Fri"`` or ``"Sun,Mon,Tue,Wed,Thu"`` → WorkingDays; a one-line UserError for
        anything else."""
        days: set[int] = set()
        try:
            for part in text.split(","):
                first, _, last = (piece.strip().title() for piece in part.partition("-"))
                start = DAY_NAMES.index(first)
                end = DAY_NAMES.index(last) if last else start
                # A range may wrap round the week's end ("Sun-Thu").
                days.update((start + step) % 7 for step in range((end - start) % 7 + 1))
        except ValueError:
            raise UserError(
                f"working days {text!r} are not days of the week: write them like Mon-Fri or "
                "Sun,Mon,Tue,Wed,Thu"
            ) from None
        return cls(frozenset(days))

    def __str__(self) -> str:
        return ",".join(DAY_NAMES[day] for day in sorted(self.days))

    def contains(self, day: date) -> bool:
        return day.weekday() in self.days

    def next_after(self, day: date) -> date:
        """The first working day after ``day``."""
        for step in range(1, 8):
            candidate = day + timedelta(days=step)
            if self.contains(candidate):
                return candidate
        raise AssertionError("WorkingDays holds at least one day")


DEFAULT_WORKING_DAYS = WorkingDays(frozenset(range(5)))


def working_days(connection: sa.Connection) -> WorkingDays:
    """The CRM's working days, or Monday to Friday when none are set."""
    text = connection.execute(
        sa.select(CrmSetting.value).where(CrmSetting.key == WORKING_DAYS)
    ).scalar_one_or_none()
    return WorkingDays.parse(text) if text else DEFAULT_WORKING_DAYS


def default_callback(
    now: datetime, zone: tzinfo, hours: CallingHours, days: WorkingDays
) -> datetime:
    """The callback a form offers first, on the lead's wall clock (naive): the lead's next
    working day after today, at 10:00, or at the calling hours' start when 10:00 is outside
    them."""
    day = days.next_after(now.astimezone(zone).date())
    clock = CALLBACK_HOUR if hours.contains(CALLBACK_HOUR) else hours.start
    return datetime.combine(day, clock)
