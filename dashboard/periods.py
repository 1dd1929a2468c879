"""Reporting periods: which UTC days a date-range choice covers, and the period before it.

A reporting day is a UTC calendar date, as the marts define it. ``STARBOARD_TODAY``
(``YYYY-MM-DD``) pins "today" for tests and demos of a fixed data set; this module is the only
reader of it, and of ``STARBOARD_NOW`` (an ISO date-time, UTC when it names no offset), which
pins the moment "now" for the same reasons.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

TODAY = "Today"
YESTERDAY = "Yesterday"
LAST_7_DAYS = "Last 7 days"
LAST_30_DAYS = "Last 30 days"
THIS_MONTH = "This month"
CUSTOM = "Custom"
RANGES = (TODAY, YESTERDAY, LAST_7_DAYS, LAST_30_DAYS, THIS_MONTH, CUSTOM)


@dataclass(frozen=True)
class Period:
    """The UTC days from ``first`` to ``last``, both included."""

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
    """Today's reporting day: the UTC date, or ``STARBOARD_TODAY`` when set."""
    pinned = os.environ.get("STARBOARD_TODAY", "").strip()
    if pinned:
        return date.fromisoformat(pinned)
    return now().astimezone(timezone.utc).date()


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
    midnight to now (to the minute, UTC); else None (the period is whole days)."""
    moment = now().astimezone(timezone.utc).replace(second=0, microsecond=0)
    if period.last != today() or moment.date() != period.last:
        return None
    return datetime.combine(period.first, datetime.min.time(), tzinfo=timezone.utc), moment


def same_minute(period: Period, moment: datetime) -> tuple[datetime, datetime]:
    """``period``'s moments from its first midnight to the time of day of ``moment`` on its last
    day (UTC): a period before a running one, cut where the running one is."""
    first = datetime.combine(period.first, datetime.min.time(), tzinfo=timezone.utc)
    last = datetime.combine(period.last, moment.time(), tzinfo=timezone.utc)
    return first, last
