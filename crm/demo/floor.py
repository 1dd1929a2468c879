"""The simulator's sales floor and market rhythm: who is at work now, when people register.

Calls are not drawn at a rate: each AM on shift dials as soon as the previous call and its
wrap-up are over, until the day's talk time is reached, so the live demo never shows an AM on
two calls at once, at night, or on the phone for 13 hours. The shifts are the CRM's, read every
tick: each AM's week (``am_shifts``, in their own zone) and leave (``am_leave``), as lead
distribution reads them, so a manager's change to either is followed from the next tick. Those
rows have no breaks: ``crm.demo.shifts.shift_blocks`` lays the history's breaks in each shift
(for the demo's own schedule, exactly the history's stretches of work). An AM with no shift in
the CRM makes no calls, as distribution gives them no leads.

Registrations follow each market's local day (few at night, most in the evening), as the
history generator draws them, and continue the CRM's own recent pace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa

from crm.demo import reference as ref
from crm.demo import shifts
from crm.demo.reference import HOUR_WEIGHT, WEEKDAY_WEIGHT
from crm.distribution.availability import read_calendars
from crm.models import AmShift, Call, DepositAttempt, Lead, PlatformSession, Staff
from crm.time_zones import floor_zone_name

CALLS = Call.__table__
DEPOSITS = DepositAttempt.__table__
LEADS = Lead.__table__
SESSIONS = PlatformSession.__table__
SHIFTS = AmShift.__table__
STAFF = Staff.__table__

# Registrations by local hour and weekday: the generator's shares, so history and live agree.
_MEAN_WEIGHT = HOUR_WEIGHT.mean() * WEEKDAY_WEIGHT.mean()
_MARKET_WEIGHT = np.array([m.weight for m in ref.MARKETS]) / sum(m.weight for m in ref.MARKETS)
_MARKET_ZONE = [ZoneInfo(m.time_zones[0]) for m in ref.MARKETS]
# The window a pace is measured over, and the longest gap the simulator catches up.
PACE_WINDOW = timedelta(days=7)
CATCH_UP_AT_MOST = timedelta(days=7)
# A connected call this recent makes the lead a likely depositor (deposits follow talks).
DEPOSIT_AFTER_CALL = timedelta(hours=3)
MOST_CALLS_A_TICK = 40  # per AM: a long catch-up tick covers many calls, not a shift's worth


def market_rhythm(now: datetime) -> np.ndarray:
    """Each market's share of registrations at ``now`` relative to its daily average, weighted
    by the market's size: their sum is how busy registrations are now (1 on average)."""
    weights = np.empty(len(ref.MARKETS))
    for i, zone in enumerate(_MARKET_ZONE):
        local = now.astimezone(zone)
        weights[i] = HOUR_WEIGHT[local.hour] * WEEKDAY_WEIGHT[local.weekday()]
    return _MARKET_WEIGHT * weights / _MEAN_WEIGHT


def talk_target_s(am_id: int, day: date) -> float:
    """The talk time the AM aims at on a local date: the same in every run."""
    low, high = shifts.TALK_TARGET_H
    share = ((am_id * 7919 + day.toordinal() * 104_729) % 1000) / 1000
    return (low + (high - low) * share) * 3600


def wrap_up(duration_s: int) -> timedelta:
    """The gap before the AM's next dial: the generator's mean wrap-up, fixed, so that every
    tick reads the same ``next free`` off the last call."""
    return timedelta(seconds=30 + 0.3 * duration_s)


@dataclass
class AmAtWork:
    id: int
    free_at: datetime  # the first moment the AM may dial again
    block_end: datetime  # end of the stretch of work the AM is in
    talk_left_s: float


def ams_at_work(connection: sa.Connection, since: datetime, now: datetime) -> list[AmAtWork]:
    """The active AMs on a shift of the CRM's schedule, and not on leave, at some point in
    (since, now], with when each is free to dial."""
    staff = connection.execute(
        sa.select(STAFF.c.id, STAFF.c.time_zone).where(
            STAFF.c.role == "account_manager", STAFF.c.is_active.is_(sa.true())
        )
    ).all()
    floor_zone = floor_zone_name()
    # An AM without a zone of their own works on the floor's clock (as distribution has it).
    calendars = read_calendars(connection, {am_id: zone or floor_zone for am_id, zone in staff})
    written = _shifts_written(connection, list(calendars))
    working: dict[int, tuple[datetime, datetime, datetime, date]] = {}
    for am_id, calendar in calendars.items():
        zone = calendar.time_zone
        local_day = now.astimezone(ZoneInfo(zone)).date()
        for day in (local_day - timedelta(days=1), local_day):
            if any(first <= day <= last for first, last in calendar.leave):
                continue
            for shift in calendar.shifts:
                if shift.weekday != day.weekday():
                    continue
                at = written.get((am_id, shift.weekday, shift.start_minute))
                blocks = _blocks(connection, am_id, zone, day, shift, at)
                for begin, end in blocks:
                    if begin < now and end > since:
                        # After the last tick: what it did is already written.
                        start = max(begin, since + timedelta(microseconds=1))
                        working[am_id] = (start, end, blocks[0][0], day)
    if not working:
        return []
    ids = sorted(working)
    shift_start = min(w[2] for w in working.values())
    # Talk so far in each AM's shift, and the last calls (which say when the AM is free).
    talk = dict(
        connection.execute(
            sa.select(CALLS.c.am_id, sa.func.sum(CALLS.c.duration_s))
            .where(CALLS.c.am_id.in_(ids), CALLS.c.started_at >= shift_start)
            .group_by(CALLS.c.am_id)
        ).all()
    )
    last: dict[int, datetime] = {}
    recent = since - timedelta(seconds=shifts.MAX_CALL_S * 1.3 + 60)
    for am_id, started, duration in connection.execute(
        sa.select(CALLS.c.am_id, CALLS.c.started_at, CALLS.c.duration_s).where(
            CALLS.c.am_id.in_(ids), CALLS.c.started_at >= recent
        )
    ):
        free = started + timedelta(seconds=duration) + wrap_up(duration)
        last[am_id] = max(last.get(am_id, free), free)
    out = []
    for am_id in ids:
        begin, end, _start, day = working[am_id]
        left = talk_target_s(am_id, day) - float(talk.get(am_id) or 0)
        if left > 0:
            out.append(AmAtWork(am_id, max(begin, last.get(am_id, begin)), end, left))
    return out


def _shifts_written(connection: sa.Connection, ams: list[int]) -> dict[tuple, datetime]:
    """When each shift row was written, by (AM, weekday, start minute)."""
    if not ams:
        return {}
    rows = connection.execute(
        sa.select(
            SHIFTS.c.am_id, SHIFTS.c.weekday, SHIFTS.c.start_minute, SHIFTS.c.created_at
        ).where(SHIFTS.c.am_id.in_(ams))
    )
    return {(am, weekday, start): at for am, weekday, start, at in rows}


def _blocks(
    connection: sa.Connection, am_id: int, zone: str, day: date, shift, written: datetime | None
) -> list[tuple]:
    """The AM's stretches of work in a shift starting on ``day``. A shift a manager gives
    after its start to an AM not at work (called in on a Sunday at 05:20 for 01:00-20:00)
    starts for the AM when it is written, breaks counted from then: laid from the shift's
    start, the AM would be on a lunch break that began before they were told to work, or past
    the demo's last stretch of a long shift, and make no call while the floor shows them
    behind. An AM who had called in that shift already keeps their breaks."""
    blocks = shifts.shift_blocks(zone, day, shift.start_minute, shift.end_minute)
    if written is None or not blocks or written <= blocks[0][0]:
        return blocks
    called = connection.scalar(
        sa.select(sa.func.count()).where(
            CALLS.c.am_id == am_id,
            CALLS.c.started_at >= blocks[0][0],
            CALLS.c.started_at < written,
        )
    )
    if called:
        return blocks
    length = (shift.end_minute - shift.start_minute) % shifts.MINUTES_A_DAY or shifts.MINUTES_A_DAY
    # Whole minutes after the shift's start, rounded up: the AM starts at the next minute.
    late = -(-(written - blocks[0][0]) // timedelta(minutes=1))
    if late >= length:
        return blocks  # written after the shift: the row is for next week's
    # The same end: shift_blocks reads an end at or before the start as past midnight.
    return shifts.shift_blocks(zone, day, shift.start_minute + late, shift.end_minute)


def newest_event(connection: sa.Connection) -> datetime | None:
    """The newest registration or platform sighting: where the CRM's story stops."""
    newest = [
        connection.scalar(sa.select(sa.func.max(LEADS.c.registered_at))),
        connection.scalar(sa.select(sa.func.max(SESSIONS.c.last_seen_at))),
    ]
    newest = [at for at in newest if at is not None]
    return max(newest) if newest else None


@dataclass(frozen=True)
class Pace:
    """Events a second, each kind on its own (None: the kind's share of the tick's rate)."""

    registrations: float | None = None
    logins: float | None = None
    deposits: float | None = None
    # FTDs a second: of the deposit attempts, the would-be FTDs (the rest are clients topping
    # up) come at the CRM's own pace of FTDs, not at a share of the attempts' rate.
    ftds: float | None = None


def recent_pace(connection: sa.Connection, newest: datetime) -> Pace:
    """Registrations, logins, deposit attempts and FTDs a second over the CRM's last week."""
    since = newest - PACE_WINDOW

    def count(column) -> int:
        return connection.scalar(sa.select(sa.func.count()).where(column > since, column <= newest))

    seconds = PACE_WINDOW.total_seconds()
    return Pace(
        registrations=count(LEADS.c.registered_at) / seconds,
        logins=count(SESSIONS.c.last_seen_at) / seconds,
        deposits=count(DEPOSITS.c.created_at) / seconds,
        ftds=connection.scalar(
            sa.select(sa.func.count()).where(
                DEPOSITS.c.created_at > since,
                DEPOSITS.c.created_at <= newest,
                DEPOSITS.c.is_ftd.is_(sa.true()),
            )
        )
        / seconds,
    )


def recently_talked(connection: sa.Connection, ams: list[int], now: datetime) -> list[tuple]:
    """(lead, FTD time) of the leads with a connected call in the last few hours: the likeliest
    to deposit now."""
    if not ams:
        return []
    talked = (
        sa.select(CALLS.c.lead_id)
        .where(
            CALLS.c.am_id.in_(ams),
            CALLS.c.started_at >= now - DEPOSIT_AFTER_CALL,
            CALLS.c.started_at < now,
            CALLS.c.outcome == "connected",
        )
        .distinct()
        .subquery()
    )
    return connection.execute(
        sa.select(LEADS.c.id, LEADS.c.ftd_at)
        .where(LEADS.c.id.in_(sa.select(talked.c.lead_id)))
        .order_by(LEADS.c.id)
    ).all()
