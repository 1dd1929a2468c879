"""The demo's floor grows with its book: when each AM starts, and which AM each lead goes to.

The history begins with no leads, so a floor fully staffed on its first morning would leave its
AMs with nothing to call for weeks (and a retention desk with no client for a month). Instead
a team takes on its first AM once it has leads to give them, and another each time its book
grows by ``BOOK_PER_AM``: the new AM gets the team's new leads (each lead goes to the AM with
the fewest) until they hold ``READY_BOOK``, and starts on the next working day's shift. The
leads given to them meanwhile wait for that morning: they reach the AM an hour before the
shift, as a lead manager hands a new AM their first list. So from their first day every AM has
a list that fills a day's talk time (``crm.demo.calls``).

``staff.created_at`` is that hand-over hour: an AM's working days are the floor's working days
from that date on, in their own zone. An AM the book never needs is not in the demo.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

US = 1_000_000
HOUR = 3600 * US
# Each time a team's book grows by this many leads (clients, on retention) it takes on an AM.
BOOK_PER_AM = 80
# What a new AM holds before their first shift: with every lead called at most twice a day,
# enough calls for more than the day's talk time (a call averages about 100 s).
READY_BOOK = 60


@dataclass
class Staffing:
    """Each AM's first shift, and each lead's AMs and when it reached them, chunk by chunk."""

    first_shift_us: dict[int, int] = field(default_factory=dict)
    # Per chunk, per lead: conversion AM and when assigned, retention AM and when handed over
    # (0: none; the time then is the one drawn, unused).
    conversion: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    retention: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    def started(self, am_id: int) -> bool:
        return am_id in self.first_shift_us


def fill_book(times: np.ndarray, ams: int) -> tuple[np.ndarray, list[int | None]]:
    """Which of ``ams`` AMs (by joining order) each lead entering at ``times`` (sorted) goes to,
    and when each AM's book reached ``READY_BOOK`` (None: never)."""
    owner = np.zeros(len(times), np.int64)
    ready: list[int | None] = [None] * ams
    book: list[tuple[int, int]] = []
    joined = 0
    for i in range(len(times)):
        while joined < ams and i >= BOOK_PER_AM * joined:
            heapq.heappush(book, (0, joined))
            joined += 1
        held, am = heapq.heappop(book)
        owner[i] = am
        held += 1
        if held == READY_BOOK:
            ready[am] = int(times[i])
        heapq.heappush(book, (held, am))
    return owner, ready


def staff_team(
    times: np.ndarray, ams: list[int], first_shift
) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
    """The team's leads (entering at ``times``, any order) given to its ``ams`` in joining order.

    ``first_shift(am_id, ready_us)`` is the start of the AM's first shift an hour or more after
    ``ready_us``, or None when none is left in the demo. Returns each lead's AM (0: none) and
    when it reached them, and each starting AM's first shift. AMs who would not start before
    the demo's end are left out, and the book filled again without them.
    """
    if not ams or not len(times):
        return np.zeros(len(times), np.int64), times.copy(), {}
    order = np.argsort(times, kind="stable")
    sorted_times = times[order]
    count = len(ams)
    while True:
        which, ready = fill_book(sorted_times, count)
        starts = [None if r is None else first_shift(ams[p], r) for p, r in enumerate(ready)]
        working = next((p for p, s in enumerate(starts) if s is None), count)
        if working == count or working == 0:
            break
        count = working
    owner = np.zeros(len(times), np.int64)
    reached = times.copy()
    if not count or working == 0:  # not even the team's first AM could start
        return owner, reached, {}
    hand_over = np.array([s - HOUR for s in starts[:count]], np.int64)
    owner[order] = np.array(ams[:count], np.int64)[which]
    reached[order] = np.maximum(sorted_times, hand_over[which])
    return owner, reached, {ams[p]: int(s) for p, s in enumerate(starts[:count])}
