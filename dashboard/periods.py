"""Reporting periods: which reporting days a date-range choice covers, and the period before it.

A reporting day is a calendar day of the floor (``STARBOARD_TIME_ZONE``, default UTC), as the
marts define it (the warehouse's ``reporting_day``): "today" and the moments a running day is
cut at follow the floor's midnight. ``STARBOARD_TODAY``
(``YYYY-MM-DD``) pins "today" for tests and demos of a fixed data set; this module is the only
reader of it, and of ``STARBOARD_NOW`` (an ISO date-time, UTC when it names no offset), which
pins the moment "now" for the same reasons.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from crm.time_zones import floor_zone

TODAY = "Today"
YESTERDAY = "Yesterday"
LAST_7_DAYS = "Last 7 days"
LAST_30_DAYS = "Last 30 days"
THIS_MONTH = "This month"
CUSTOM = "Custom"
RANGES = (TODAY, YESTERDAY, LAST_7_DAYS, LAST_30_DAYS, THIS_MONTH, CUSTOM)


@dataclass(frozen=True)
class Period:
    """The reporting days from ``first`` to ``last``, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        last = self.first - timedelta(days=1)
        return Period(last - timedelta(days=self.days - 1), last)

    def label(self) -> str:
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def now() -> datetime:
    """This moment in UTC, or ``STARBOARD_NOW`` when set."""
    pinned = os.environ.get("STARBOARD_NOW", "").strip()
    if pinned:
        moment = datetime.fromisoformat(pinned)
        return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
    return datetime.now(timezone.utc)


def today() -> date:
    """Today's reporting day: the floor's date now, or ``STARBOARD_TODAY`` when set."""
    pinned = os.environ.get("STARBOARD_TODAY", "").strip()
    if pinned:
        return date.fromisoformat(pinned)
    return now().astimezone(floor_zone()).date()


def day_start(day: date) -> datetime:
    """The UTC moment the reporting day ``day`` begins: the floor's midnight."""
    return datetime.combine(day, time.min, tzinfo=floor_zone()).astimezone(timezone.utc)


def is_running(day: date) -> bool:
    """Whether ``day`` is today and still running (now falls on it, on the floor's clock)."""
    return day == today() == now().astimezone(floor_zone()).date()


def resolve(choice: str, on: date, custom: tuple[date, date] | None = None) -> Period:
    """The period a date-range choice means on the day ``on``."""
    if choice == TODAY:
        return Period(on, on)
    if choice == YESTERDAY:
        yesterday = on - timedelta(days=1)
        return Period(yesterday, yesterday)
    if choice == LAST_7_DAYS:
        return Period(on - timedelta(days=6), on)
    if choice == LAST_30_DAYS:
        return Period(on - timedelta(days=29), on)
    if choice == THIS_MONTH:
        return Period(on.replace(day=1), on)
    if choice == CUSTOM:
        first, last = custom or (on, on)
        return Period(min(first, last), max(first, last))
    raise ValueError(f"unknown date range {choice!r}; expected one of {', '.join(RANGES)}")


def same_weekday_before(day: date, weeks: int) -> list[date]:
    """The same weekday in each of the ``weeks`` weeks before ``day``, newest first."""
    return [day - timedelta(weeks=n) for n in range(1, weeks + 1)]


def running_until(period: Period) -> tuple[datetime, datetime] | None:
    """When ``period`` ends today and today is still running: its moments from its first
    midnight (the floor's) to now, to the minute, in UTC; else None (the period is whole
    days)."""
    moment = now().astimezone(timezone.utc).replace(second=0, microsecond=0)
    if not is_running(period.last):
        return None
    return day_start(period.first), moment


def same_minute(period: Period, moment: datetime) -> tuple[datetime, datetime]:
    """``period``'s moments (UTC) from its first midnight to the floor's time of day of
    ``moment`` on its last day: a period before a running one, cut where the running one is."""
    local = moment.astimezone(floor_zone())
    last = datetime.combine(period.last, local.time().replace(tzinfo=None), tzinfo=floor_zone())
    return day_start(period.first), last.astimezone(timezone.utc)


def days_label() -> str:
    """Which calendar the reporting days are, for a label: the floor's zone ("Asia/Nicosia")."""
    return floor_zone().key


def floor_clock(moment: datetime) -> str:
    """``moment`` on the floor's clock, to the minute, with the zone: "10:00 Asia/Nicosia"."""
    return f"{moment.astimezone(floor_zone()):%H:%M} {floor_zone().key}"
