"""When an AM can receive leads: on a shift of their weekly schedule, in their own time zone, and
not on leave. A weekday with no shift is a day off; an AM with no schedule is never on shift.

An AM whose staff row has no zone works in the floor's (``STARBOARD_TIME_ZONE``): a shift is
a time on the floor's clock unless the AM says otherwise. Their browser's zone, which their
pages show times in, is not used: it is known only while they are signed in, and it would move
their shifts whenever they travel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa

from crm.models import AmLeave, AmShift, Staff
from crm.time_zones import find_zone, floor_zone_name

MINUTES_A_DAY = 24 * 60
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Shift:
    """``weekday`` 0 is Monday; minutes from local midnight, the end excluded. An end at or
    before the start runs past midnight into the next day."""

    weekday: int
    start_minute: int
    end_minute: int

    @property
    def overnight(self) -> bool:
        return self.end_minute <= self.start_minute

    def text(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {clock(self.start_minute)}-{clock(self.end_minute)}"


@dataclass(frozen=True)
class Calendar:
    """An AM's week and leave, in ``time_zone`` (an IANA name; UTC when it is not one)."""

    time_zone: str = "UTC"
    shifts: tuple[Shift, ...] = ()
    leave: tuple[tuple[date, date], ...] = field(default=())
    # The last answers with the span of time they hold for (see ``shift_end``).
    _known: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def local(self, now: datetime) -> datetime:
        return now.astimezone(find_zone(self.time_zone) or timezone.utc)

    def on_leave(self, now: datetime) -> bool:
        today = self.local(now).date()
        return any(first <= today <= last for first, last in self.leave)

    def shift_end(self, now: datetime) -> datetime | None:
        """When the shift the AM is on at ``now`` ends (local time), or None when off shift
        or on leave."""
        # The answer changes only at a local midnight or at a shift's start or end minute: it
        # is kept with the span it holds for, so a replay of many leads a minute (and a
        # backlog at one moment) works it out once per span, not per lead.
        known = self._known.get("end")
        if known is not None and known[0] <= now < known[1]:
            return known[2]
        minute = now.replace(second=0, microsecond=0)
        answer = self._shift_end_at(minute)
        self._known["end"] = (minute, self._same_until(minute), answer)
        return answer

    def _shift_end_at(self, now: datetime) -> datetime | None:
        if self.on_leave(now):
            return None
        local = self.local(now)
        minute = local.hour * 60 + local.minute
        weekday = local.weekday()
        midnight = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
        for shift in self.shifts:
            if shift.weekday == weekday and (
                shift.start_minute <= minute < shift.end_minute
                or (shift.overnight and minute >= shift.start_minute)
            ):
                days = 1 if shift.overnight else 0
                return midnight + timedelta(days=days, minutes=shift.end_minute)
            if shift.overnight and shift.weekday == (weekday - 1) % 7 and minute < shift.end_minute:
                return midnight + timedelta(minutes=shift.end_minute)
        return None

    def _same_until(self, minute: datetime) -> datetime:
        """Until when (UTC) ``_shift_end_at`` answers as at ``minute``: the next local minute
        of the day that is a shift's start or end, or the next midnight. Across a change of
        the zone's offset (summer time) the local clock jumps: then one minute only."""
        local = self.local(minute)
        now = local.hour * 60 + local.minute
        ahead = [m for s in self.shifts for m in (s.start_minute, s.end_minute) if m > now]
        midnight = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
        until = (midnight + timedelta(minutes=min(ahead, default=MINUTES_A_DAY))).astimezone(
            timezone.utc
        )
        if self.local(until).utcoffset() != local.utcoffset():
            return minute + timedelta(minutes=1)
        return until

    def day_start(self, now: datetime) -> datetime:
        """The start of the AM's own day at ``now``, in UTC: when "today" began for their cap."""
        known = self._known.get("day")
        if known is not None and known[0] <= now < known[1]:
            return known[0]
        local = self.local(now)
        midnight = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
        start = midnight.astimezone(timezone.utc)
        following = datetime.combine(
            local.date() + timedelta(days=1), time(0), tzinfo=local.tzinfo
        ).astimezone(timezone.utc)
        self._known["day"] = (start, following)
        return start


def clock(minute: int) -> str:
    minute %= MINUTES_A_DAY
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_clock(text: str) -> int:
    """Minutes from midnight of ``HH:MM`` (24:00 allowed as the end of a day)."""
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"{text!r} is not a time of day like 09:00")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > MINUTES_A_DAY:
        raise ValueError(f"{text!r} is not a time of day like 09:00")
    return value


def zone_city(time_zone: str) -> str:
    """The place a zone is named after, as people say it: Europe/Nicosia → Nicosia."""
    return time_zone.rsplit("/", 1)[-1].replace("_", " ")


def calendars(
    zones: dict[int, str | None], shifts: Iterable, leave: Iterable
) -> dict[int, Calendar]:
    """Each AM's calendar from their zone (None: the floor's) and the rows of ``am_shifts``
    and ``am_leave``."""
    floor = floor_zone_name()
    by_am: dict[int, list[Shift]] = {am_id: [] for am_id in zones}
    away: dict[int, list[tuple[date, date]]] = {am_id: [] for am_id in zones}
    for row in shifts:
        by_am.setdefault(row.am_id, []).append(Shift(row.weekday, row.start_minute, row.end_minute))
    for row in leave:
        away.setdefault(row.am_id, []).append((row.first_day, row.last_day))
    return {
        am_id: Calendar(
            zones.get(am_id) or floor,
            tuple(sorted(by_am.get(am_id, ()), key=lambda s: (s.weekday, s.start_minute))),
            tuple(away.get(am_id, ())),
        )
        for am_id in set(zones) | set(by_am) | set(away)
    }


def read_calendars(
    connection: sa.Connection, zones: dict[int, str | None] | None = None, am_ids=()
) -> dict[int, Calendar]:
    """The calendars of the AMs ``am_ids`` (or of ``zones``' keys, ``{am id: IANA zone}``, when
    their zones are read already) as the CRM holds their shifts and leave now."""
    if zones is None:
        ids = sorted({int(am_id) for am_id in am_ids})
        rows = connection.execute(sa.select(Staff.id, Staff.time_zone).where(Staff.id.in_(ids)))
        zones = dict(rows.all())
    ids = sorted(zones)
    if not ids:
        return {}
    shifts = AmShift.__table__
    leave = AmLeave.__table__
    return calendars(
        zones,
        connection.execute(sa.select(shifts).where(shifts.c.am_id.in_(ids))).all(),
        connection.execute(sa.select(leave).where(leave.c.am_id.in_(ids))).all(),
    )
