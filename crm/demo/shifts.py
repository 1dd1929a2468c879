"""An account manager's working day in the demo: the shift, its breaks, the pace of calls.

Shared by the history generator and the real-time simulator, so an AM keeps the same hours in
both: a shift of 8 h 30 min in the AM's own time zone on the floor's working days (the CRM's
``working_days`` setting, Monday to Friday by default), starting between 08:00 and 10:00 local
time, with two short breaks and a lunch. A call may run on past a break's start (nobody hangs
up on a client), never past ``MAX_CALL_S``, so the last call ends within 9 h of the start.

The CRM holds the same hours as each AM's weekly schedule (``am_shifts``, which lead
distribution and the "who is behind" view read): ``weekly_schedule``. The history is laid from
this module; the live simulator lays its calls in the shifts the CRM holds now
(``shift_blocks``), so a manager who changes an AM's week or adds their leave sees the floor
follow, and the demo's own schedule gives the history's stretches of work exactly.

Between two calls the AM wraps up (notes, the next number): ``wrap_up_s``. Those gaps and the
breaks keep talk time under 5 h even on a day with no idle minute.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

from crm.settings import WorkingDays

MINUTE_S = 60
MINUTES_A_DAY = 24 * 60
# (offset from the shift's start, length) of each stretch of work, in minutes: 2 h, a 15-minute
# break, 2 h, lunch (45 minutes), 2 h, a 15-minute break, 1 h 15 min.
WORK_BLOCKS_MIN: tuple[tuple[int, int], ...] = ((0, 120), (135, 120), (300, 120), (435, 75))
SHIFT_MIN = 510  # 8 h 30 min from the first block's start to the last block's end
WORK_S = sum(length for _start, length in WORK_BLOCKS_MIN) * MINUTE_S  # 7 h 15 min
MAX_CALL_S = 30 * MINUTE_S
# The AM's weekly schedule in the CRM runs from the shift's start until the last call may have
# ended: a row of ``am_shifts`` has no breaks, and with the shift's 8 h 30 min alone a call begun
# in its last minutes would end off shift (and the AM would look gone while on the phone).
SCHEDULE_MIN = SHIFT_MIN + MAX_CALL_S // MINUTE_S  # 9 h
# Shift starts (minutes after local midnight) the AMs are spread over, by staff id.
SHIFT_STARTS_MIN = (480, 510, 540, 570, 600)
# Talk time an AM aims at on a full day, in hours: what a floor manager expects of an AM.
TALK_TARGET_H = (2.6, 4.4)


def shift_start_minute(am_id: int) -> int:
    """When the AM's shift starts, in minutes after local midnight (the same every day)."""
    return SHIFT_STARTS_MIN[am_id % len(SHIFT_STARTS_MIN)]


def weekly_schedule(am_id: int, days: WorkingDays) -> list[tuple[int, int, int]]:
    """The AM's week as the CRM's ``am_shifts`` rows hold it: (weekday, start minute, end
    minute) in the AM's zone, one shift on each of the floor's working days. Every stretch of
    work of ``work_blocks`` and every call in it lies inside one of them."""
    start = shift_start_minute(am_id)
    return [(weekday, start, start + SCHEDULE_MIN) for weekday in sorted(days.days)]


def wrap_up_s(rng: np.random.Generator, duration_s: np.ndarray) -> np.ndarray:
    """Seconds between the end of a call and the next dial: notes after a talk, a redial."""
    return (rng.uniform(15, 45, len(duration_s)) + 0.3 * duration_s).astype(np.int64)


def work_blocks(am_id: int, zone: str, day: date) -> list[tuple[datetime, datetime]]:
    """The AM's stretches of work on a local date, as UTC (start, end) pairs."""
    start = shift_start_minute(am_id)
    return shift_blocks(zone, day, start, start + SCHEDULE_MIN)


def shift_blocks(
    zone: str, day: date, start_minute: int, end_minute: int
) -> list[tuple[datetime, datetime]]:
    """The stretches of work, as UTC (start, end) pairs, of a shift of the CRM's schedule
    (``am_shifts``: minutes from local midnight, an end at or before the start past midnight)
    that starts on the local date ``day``: the demo's breaks from the shift's start, ending
    ``MAX_CALL_S`` before the shift does so that a last call is over on shift. A short shift
    keeps the stretches that fit; a long one is idle after the last."""
    length = (end_minute - start_minute) % MINUTES_A_DAY or MINUTES_A_DAY
    room = length - MAX_CALL_S // MINUTE_S
    start = datetime.combine(day, time(0), ZoneInfo(zone)) + timedelta(minutes=start_minute)
    blocks = []
    for offset, minutes in WORK_BLOCKS_MIN:
        minutes = min(minutes, room - offset)
        if minutes <= 0:
            break
        # Wall-clock arithmetic, then UTC: a shift on a clock-change day keeps its local hours.
        begin = (start + timedelta(minutes=offset)).astimezone(timezone.utc)
        blocks.append((begin, begin + timedelta(minutes=minutes)))
    return blocks
