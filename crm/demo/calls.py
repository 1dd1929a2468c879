"""The demo's calls, made the way a floor makes them: by each AM, shift by shift.

An AM works the leads they own that day (fresh ones first, keen ones more often, a lead at
most twice a day) one call after another: dial, talk or ring out, wrap up, dial again, in the
stretches of work of their shift (``crm.demo.shifts``), until the day's talk time is reached
or the shift is over. Calls are laid out on the AM's working clock (the seconds of work only)
and then placed on the real one, so a call never overlaps the next, and a call that runs into a
break pushes the rest of the day on by as much.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import numpy as np

from crm.demo import shifts

US = 1_000_000
DAY = 86_400 * US
# The most candidate calls an AM's day is drawn from (more than the longest day holds).
CANDIDATES = 260
MOST_CALLS_A_DAY_PER_LEAD = 2
# Calls that surely hold a full day's talk time (a call averages about 100 s).
FULL_DAY_CALLS = 200
CLIENT_CALLS_A_DAY = 0.4
# Outcomes after "connected" (0), as ``OUTCOMES`` spells them, and their shares.
OUTCOMES = ("connected", "no_answer", "voicemail", "busy", "wrong_number")
NON_CONNECTED_SHARE = np.array([0.55, 0.22, 0.15, 0.08])


class ShiftTable:
    """Each active AM's stretches of work over the demo, in UTC microseconds."""

    def __init__(self, gen):
        first = datetime.fromtimestamp(gen.start_us // US - 86_400, timezone.utc).date()
        days = [
            first + timedelta(days=d)
            for d in range(gen.days + 3)
            if gen.working_days.contains(first + timedelta(days=d))
        ]
        by_pattern: dict[tuple[str, int], np.ndarray] = {}
        self.blocks: dict[int, np.ndarray] = {}  # am id → (working days, blocks, 2)
        for member in gen.cast.staff:
            if member.role != "account_manager" or not member.is_active:
                continue
            key = (member.time_zone, shifts.shift_start_minute(member.id))
            if key not in by_pattern:
                by_pattern[key] = _blocks(member.id, member.time_zone, days)
            self.blocks[member.id] = by_pattern[key]


def _blocks(am_id: int, zone: str, days: list[date]) -> np.ndarray:
    out = np.empty((len(days), len(shifts.WORK_BLOCKS_MIN), 2), dtype=np.int64)
    for d, day in enumerate(days):
        for b, (begin, end) in enumerate(shifts.work_blocks(am_id, zone, day)):
            out[d, b] = (int(begin.timestamp()) * US, int(end.timestamp()) * US)
    return out


def floor_calls(chunk) -> dict[str, np.ndarray]:
    """Every call the AMs of ``chunk`` made to its leads: lead index, AM, start, seconds,
    whether connected. Unsorted."""
    g, rng = chunk.g, chunk.rng
    never = np.iinfo(np.int64).max
    # Each lead's stretches of ownership: conversion from assignment to the hand-over to
    # retention, then retention.
    conv_end = np.where(chunk.to_retention, chunk.retention_at, never)
    owned = [
        (chunk.conv_am, np.where(chunk.is_assigned, chunk.assigned_at, never), conv_end, False),
        (
            chunk.ret_am,
            np.where(chunk.to_retention, chunk.retention_at, never),
            np.full(chunk.n, never),
            True,
        ),
    ]
    keenness = 0.2 + chunk.quality
    connect_p = np.clip(0.10 + 0.6 * chunk.quality, 0.02, 0.9)
    out = {"lead": [], "am": [], "at": [], "duration": [], "outcome": []}
    for am_id in np.unique(np.concatenate([chunk.conv_am, chunk.ret_am])):
        if am_id == 0:
            continue
        leads, since, until, client = [], [], [], []
        for owner, begin, end, retention in owned:
            mine = np.flatnonzero(owner == am_id)
            leads.append(mine)
            since.append(begin[mine])
            until.append(end[mine])
            client.append(np.full(len(mine), retention))
        leads, since, until, client = (np.concatenate(x) for x in (leads, since, until, client))
        for day in g.shifts.blocks[am_id]:
            day_start, day_end = day[0, 0], day[-1, 1]
            if day_end <= g.start_us or day_start >= g.until_us:
                continue
            pool = np.flatnonzero((since < day_end) & (until > day_start))
            if not len(pool):
                continue
            # Calls a day a lead is worth: a fresh lead (two days) one, a young one (a month)
            # a third, an old one a twentieth; a retention client a good third. The AM calls
            # the keen ones more, and no more than four times what the list is worth.
            age = day_start - since[pool]
            worth = np.where(
                client[pool],
                CLIENT_CALLS_A_DAY,
                np.select([age < 2 * DAY, age < 30 * DAY], [1.0, 0.3], 0.05),
            )
            weight = keenness[leads[pool]] * worth
            most = min(CANDIDATES, int(np.ceil(4 * worth.sum())))
            listed = (leads[pool], since[pool], until[pool], weight)
            _am_day(out, rng, am_id, listed, connect_p, day, most)
    return {k: np.concatenate(v) if v else np.zeros(0, np.int64) for k, v in out.items()}


def _am_day(out, rng, am_id, pool, connect_p, blocks, most: int) -> None:
    """One AM's working day, appended to ``out``: ``most`` weighted picks from the AM's list
    ``pool`` (lead index, owned since, owned until, weight), then everyone on it, each lead at
    most twice, until the day's talk time is reached or the shift is over."""
    leads, since, until, weight = pool
    picks = rng.choice(len(leads), most, p=weight / weight.sum())
    # Should the picks run short (a small book, keen leads picked over and over), the AM goes
    # on through everyone they own.
    everyone = rng.permutation(len(leads))[:FULL_DAY_CALLS]
    picks = np.concatenate([picks, everyone, everyone])
    # At most twice a day the same lead: drop the third and later picks of each lead.
    order = np.argsort(picks, kind="stable")
    sorted_picks = picks[order]
    group_start = np.r_[0, np.flatnonzero(sorted_picks[1:] != sorted_picks[:-1]) + 1]
    rank = np.arange(len(picks)) - np.repeat(group_start, np.diff(np.r_[group_start, len(picks)]))
    keep = np.zeros(len(picks), bool)
    keep[order] = rank < MOST_CALLS_A_DAY_PER_LEAD
    picks = picks[keep]
    outcome = np.where(
        rng.random(len(picks)) < connect_p[leads[picks]],
        0,
        1 + rng.choice(len(NON_CONNECTED_SHARE), len(picks), p=NON_CONNECTED_SHARE),
    )
    duration = _durations(rng, outcome)
    slot = (duration + shifts.wrap_up_s(rng, duration)) * US
    first_dial = rng.integers(0, 5 * 60) * US
    # The working clock onto the real one: which stretch of work, and how far into it.
    lengths = blocks[:, 1] - blocks[:, 0]
    block_work_start = np.r_[0, np.cumsum(lengths)[:-1]]

    def layout(slot):
        work_start = first_dial + np.r_[0, np.cumsum(slot)[:-1]]
        block = np.searchsorted(block_work_start, work_start, side="right") - 1
        return work_start, blocks[block, 0] + (work_start - block_work_start[block])

    # A call that would come before the lead is the AM's (a lead assigned mid-shift) or after
    # it left them is not made; the calls after it move up, so look again a few times (what
    # is still amiss then is dropped with the chunk's other calls to leads not owned).
    for _ in range(3):
        work_start, at = layout(slot)
        owned = (at >= since[picks]) & (at < until[picks])
        if owned.all():
            break
        picks, outcome, duration, slot = picks[owned], outcome[owned], duration[owned], slot[owned]
    else:
        work_start, at = layout(slot)
    talk_target = rng.uniform(*shifts.TALK_TARGET_H) * 3600
    fits = (np.cumsum(duration) <= talk_target) & (work_start < shifts.WORK_S * US)
    out["lead"].append(leads[picks[fits]])
    out["am"].append(np.full(int(fits.sum()), am_id, np.int64))
    out["at"].append(at[fits])
    out["duration"].append(duration[fits])
    out["outcome"].append(outcome[fits])


def _durations(rng: np.random.Generator, outcome: np.ndarray) -> np.ndarray:
    """Seconds on the line: minutes when connected, a voicemail's message, else the ringing."""
    m = len(outcome)
    talk = np.minimum(rng.lognormal(np.log(240), 0.7, m), shifts.MAX_CALL_S)
    other = np.array([0, 10, 20, 2, 5])[outcome] + rng.uniform(0, 25, m)
    return np.where(outcome == 0, talk, other).astype(np.int64)
