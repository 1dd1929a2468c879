"""The AMs' weeks and leave as a manager reads and edits them (the Distribution page's "Shifts
and leave"): each active AM's shifts in their own zone, the leave under way or to come, and a
day's hours as a manager types them ("09:00-18:00", "09:00-13:00, 14:00-18:00", blank: off).
Only reads; the changes go through ``crm.actions.distribution``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from crm.distribution.availability import WEEKDAYS, Shift, clock, parse_clock
from crm.errors import UserError
from crm.models import AmLeave, AmShift, Staff
from crm.time_zones import find_zone, floor_zone_name

SHIFTS = AmShift.__table__
LEAVE = AmLeave.__table__
STAFF = Staff.__table__


@dataclass(frozen=True)
class AmWeek:
    am_id: int
    name: str
    time_zone: str  # the zone their shifts are in: their own, else the floor's
    own_zone: bool
    shifts: tuple[Shift, ...]

    def hours(self, weekday: int) -> str:
        """The day's shifts as typed: "09:00-18:00", several with ", ", "" for a day off."""
        return ", ".join(
            f"{clock(s.start_minute)}-{'24:00' if s.end_minute == 1440 else clock(s.end_minute)}"
            for s in self.shifts
            if s.weekday == weekday
        )


@dataclass(frozen=True)
class Spell:
    leave_id: int
    am_id: int
    am: str
    first_day: date
    last_day: date
    under_way: bool  # the AM's today (their zone) is one of its days

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def text(self) -> str:
        return f"{self.am}: {self.first_day} to {self.last_day}"


def am_weeks(connection: sa.Connection) -> list[AmWeek]:
    """Every active AM's week, by name."""
    staff = connection.execute(
        sa.select(STAFF.c.id, STAFF.c.name, STAFF.c.time_zone)
        .where(STAFF.c.role == "account_manager", STAFF.c.is_active.is_(sa.true()))
        .order_by(STAFF.c.name, STAFF.c.id)
    ).all()
    ids = [row.id for row in staff]
    shifts: dict[int, list[Shift]] = {am_id: [] for am_id in ids}
    if ids:
        for row in connection.execute(
            sa.select(SHIFTS)
            .where(SHIFTS.c.am_id.in_(ids))
            .order_by(SHIFTS.c.weekday, SHIFTS.c.start_minute)
        ):
            shifts[row.am_id].append(Shift(row.weekday, row.start_minute, row.end_minute))
    floor = floor_zone_name()
    return [
        AmWeek(row.id, row.name, row.time_zone or floor, bool(row.time_zone), tuple(shifts[row.id]))
        for row in staff
    ]


def leave_not_over(connection: sa.Connection, now: datetime) -> list[Spell]:
    """The active AMs' leave under way or to come at ``now`` (each AM's own day), by first
    day: what a manager may still cancel. Leave that is over stays, and is not listed."""
    floor = floor_zone_name()
    rows = connection.execute(
        sa.select(
            LEAVE.c.id,
            LEAVE.c.am_id,
            LEAVE.c.first_day,
            LEAVE.c.last_day,
            STAFF.c.name,
            STAFF.c.time_zone,
        )
        .join(STAFF, STAFF.c.id == LEAVE.c.am_id)
        # A day's slack for the zones behind UTC; each AM's own today decides below.
        .where(LEAVE.c.last_day >= (now - timedelta(days=1)).date())
        .where(STAFF.c.is_active.is_(sa.true()))
        .order_by(LEAVE.c.first_day, STAFF.c.name, LEAVE.c.id)
    ).all()
    spells = []
    for row in rows:
        today = now.astimezone(find_zone(row.time_zone or floor)).date()
        if row.last_day < today:
            continue
        spells.append(
            Spell(
                row.id,
                row.am_id,
                row.name,
                row.first_day,
                row.last_day,
                row.first_day <= today,
            )
        )
    return spells


def parse_day(weekday: int, text: str) -> list[Shift]:
    """A day's hours as typed ("09:00-18:00", "09:00-13:00, 14:00-18:00"; blank or "off": a
    day off) as shifts; a refusal names the day and shows the form wanted."""
    text = (text or "").strip()
    if text.lower() in ("", "off", "-", "—"):
        return []
    shifts = []
    for part in text.split(","):
        start, _, end = part.strip().partition("-")
        try:
            shifts.append(Shift(weekday, parse_clock(start), parse_clock(end)))
        except ValueError:
            raise UserError(
                f"{WEEKDAYS[weekday]}: {part.strip()!r} is not hours like 09:00-18:00 "
                "(leave it blank for a day off)."
            ) from None
    return shifts
