"""A little leave in the demo (``am_leave``): a few AMs away around the demo's last day, so the
Distribution page has leave to show and lead distribution and the simulator have someone to
leave out. The same seed gives the same leave.

Three spells, each of a different AM who started a fortnight or more before the last day, in
the AM's own days (``today`` is the demo's last day there): one under way (from up to two days
before today to one to four days after), one to come (starting in three to seven days, one to
five days long) and one just over (ending three to seven days ago, one to four days long). The
history has no calls on those days (``without_leave``): the AM was away. A demo too young for
three such AMs has fewer spells.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

US = 1_000_000
SETTLED = timedelta(days=14)  # an AM on leave started this long before the last day


def draw_leave(
    rng: np.random.Generator,
    ams: list[tuple[int, str]],
    first_shift_us: dict[int, int],
    until_us: int,
) -> list[tuple[int, date, date]]:
    """(AM, first day, last day) of each spell, for ``ams`` ((id, zone) of the working AMs)."""
    until = datetime.fromtimestamp(until_us / US, timezone.utc)
    settled = [
        (am_id, zone)
        for am_id, zone in sorted(ams)
        if am_id in first_shift_us
        and datetime.fromtimestamp(first_shift_us[am_id] / US, timezone.utc) < until - SETTLED
    ]
    chosen = rng.permutation(len(settled))[:3]
    spells = []
    for kind, index in enumerate(chosen):
        am_id, zone = settled[int(index)]
        today = until.astimezone(ZoneInfo(zone)).date()
        if kind == 0:  # under way
            first = today - timedelta(days=int(rng.integers(0, 3)))
            last = today + timedelta(days=int(rng.integers(1, 5)))
        elif kind == 1:  # to come
            first = today + timedelta(days=int(rng.integers(3, 8)))
            last = first + timedelta(days=int(rng.integers(0, 5)))
        else:  # just over
            last = today - timedelta(days=int(rng.integers(3, 8)))
            first = last - timedelta(days=int(rng.integers(0, 4)))
        spells.append((am_id, first, last))
    return spells


def without_leave(blocks: np.ndarray, zone: str, spells: list[tuple[date, date]]) -> np.ndarray:
    """An AM's working days (``ShiftTable`` rows: one day's stretches of work in UTC
    microseconds) less those that start on a day of leave in the AM's zone."""
    if not spells or not len(blocks):
        return blocks
    info = ZoneInfo(zone)
    days = [datetime.fromtimestamp(int(b) / US, info).date() for b in blocks[:, 0, 0]]
    keep = [not any(first <= day <= last for first, last in spells) for day in days]
    return blocks[np.array(keep, dtype=bool)]
