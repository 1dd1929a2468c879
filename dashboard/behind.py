"""Who is behind today, and why: each AM's working time since their last call, the "behind"
rules (``dashboard.definitions``) applied to the day's figures, and the team subtotals.

Plain functions of the rows of ``warehouse/queries/am_today.sql`` and the AMs' calendars, so
the rules are tested without a page; ``dashboard.sales_today`` shows what they return.
"""

from __future__ import annotations

import calendar as months
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

import pandas as pd

from crm.distribution.availability import Calendar
from crm.time_zones import find_zone
from dashboard import definitions
from dashboard.formats import hours

Span = tuple[datetime, datetime]


def working_spans(calendar: Calendar | None, day: date, day_start: datetime) -> list[Span]:
    """The AM's working time in the reporting day ``day`` (which began at ``day_start``): the
    shifts of their weekly schedule, in their own zone, less their leave, when they have a
    schedule; else the floor's working hours (``definitions.FLOOR_HOURS``) on a working day."""
    day_end = day_start + timedelta(days=1)
    if calendar is None or not calendar.shifts:
        if day.weekday() >= 5:
            return []
        first, end = definitions.FLOOR_HOURS
        return [(day_start + timedelta(minutes=first), day_start + timedelta(minutes=end))]
    zone = find_zone(calendar.time_zone) or day_start.tzinfo
    local_first = day_start.astimezone(zone).date() - timedelta(days=1)  # overnight shifts
    local_last = day_end.astimezone(zone).date()
    spans = []
    for offset in range((local_last - local_first).days + 1):
        local_day = local_first + timedelta(days=offset)
        if any(first <= local_day <= last for first, last in calendar.leave):
            continue
        midnight = datetime.combine(local_day, time(0), tzinfo=zone)
        for shift in calendar.shifts:
            if shift.weekday != local_day.weekday():
                continue
            end_day = midnight + timedelta(days=1) if shift.overnight else midnight
            start = (midnight + timedelta(minutes=shift.start_minute)).astimezone(day_start.tzinfo)
            end = (end_day + timedelta(minutes=shift.end_minute)).astimezone(day_start.tzinfo)
            start, end = max(start, day_start), min(end, day_end)
            if start < end:
                spans.append((start, end))
    return sorted(spans)


def working_seconds(spans: list[Span], since: datetime, until: datetime) -> float:
    """The seconds of ``spans`` between ``since`` and ``until``."""
    return sum(
        max(0.0, (min(end, until) - max(start, since)).total_seconds()) for start, end in spans
    )


def at_work(spans: list[Span], moment: datetime) -> bool:
    return any(start <= moment < end for start, end in spans)


def whole(ratio) -> str:
    """A ratio as a whole percent, as the reasons say it: "12 %"."""
    return f"{ratio * 100:.0f} %"


def period_word(first, last) -> str:
    """ "month" for a target that runs over one calendar month, "period" for any other."""
    if pd.isna(first) or pd.isna(last):
        return "period"
    first, last = pd.Timestamp(first).date(), pd.Timestamp(last).date()
    whole_month = (
        first.day == 1
        and (first.year, first.month) == (last.year, last.month)
        and last.day == months.monthrange(last.year, last.month)[1]
    )
    return "month" if whole_month else "period"


def idle_words(seconds: float) -> str:
    """Working time without a call, to the minute: "2 h 30 min", "0 min"."""
    return hours(seconds)


def reasons(row: Mapping, team_ratio) -> list[str]:
    """Why the AM of ``row`` is behind, in words (none: not behind), by the rules of
    ``definitions.BEHIND``; ``team_ratio`` is their team's call ratio today."""
    found = []
    if row["idle_seconds"] >= definitions.IDLE_LIMIT_S:
        found.append(f"{idle_words(row['idle_seconds'])} without a call")
    ratio = row["call_ratio"]
    if (
        row["calls"] >= definitions.RATIO_MIN_CALLS
        and not pd.isna(ratio)
        and not pd.isna(team_ratio)
        and ratio < definitions.RATIO_SHARE_OF_TEAM * team_ratio
    ):
        found.append(f"ratio {whole(ratio)} vs team {whole(team_ratio)}")
    reached, expected = row["progress"], row["expected_progress"]
    if (
        not pd.isna(reached)
        and not pd.isna(expected)
        and expected >= definitions.PACE_FROM_EXPECTED
        and reached < definitions.PACE_SHARE_OF_EXPECTED * expected
    ):
        word = period_word(row["target_start"], row["target_end"])
        found.append(f"{whole(reached)} of target at {whole(expected)} of the {word}")
    return found


def team_ratios(frame: pd.DataFrame) -> pd.Series:
    """Each team's call ratio today (connected over calls of all its AMs), by team name."""
    sums = frame.groupby("team_name", dropna=False)[["calls", "connected_calls"]].sum()
    return (sums["connected_calls"] / sums["calls"].where(sums["calls"] > 0)).round(4)


def assess(
    frame: pd.DataFrame,
    calendars: Mapping[int, Calendar],
    day: date,
    day_start: datetime,
    now: datetime,
) -> pd.DataFrame:
    """``frame`` (am_today rows) with each AM's working time since their last call
    (``idle_seconds``, from the start of the day when they made none), whether they are at work
    now, and ``behind``: the reasons in words, ``; ``-separated, blank when on pace. Behind
    first, the longest idle first."""
    until = min(now, day_start + timedelta(days=1))
    assessed = frame.copy()
    idle, working = [], []
    for row in assessed.itertuples():
        spans = working_spans(calendars.get(row.am_id), day, day_start)
        last = row.last_call_at
        since = day_start if pd.isna(last) else max(pd.Timestamp(last).to_pydatetime(), day_start)
        idle.append(working_seconds(spans, since, until))
        working.append(at_work(spans, until))
    assessed["idle_seconds"] = idle
    assessed["at_work"] = working
    by_team = team_ratios(assessed)
    assessed["team_call_ratio"] = assessed["team_name"].map(by_team)
    assessed["behind"] = [
        "; ".join(reasons(row, row["team_call_ratio"])) for row in assessed.to_dict("records")
    ]
    assessed["is_behind"] = assessed["behind"] != ""
    return assessed.sort_values(
        ["is_behind", "idle_seconds", "am_name"], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)


SUMMED = [
    "calls",
    "connected_calls",
    "talk_seconds",
    "deposits",
    "deposit_usd",
    "ftds",
    "starred_not_called",
]


def subtotals(assessed: pd.DataFrame) -> pd.DataFrame:
    """One row per team, then the floor: AMs, AMs behind, and the sums of the AMs' figures; the
    call ratio of the sums, and the pace of the team's targets (reached and expected, weighted
    by each target's USD, as the target board's totals)."""
    frame = assessed.assign(
        team_name=assessed["team_name"].fillna("no team"),
        weighted_expected=assessed["expected_progress"] * assessed["target_usd"],
    )
    sums = SUMMED + ["target_usd", "recorded_usd", "weighted_expected"]

    def total(rows: pd.DataFrame, name: str) -> dict:
        figures = rows[sums].sum(min_count=1).to_dict()
        targets = figures["target_usd"]
        has_target = not pd.isna(targets) and targets > 0
        return {
            "team_name": name,
            "ams": len(rows),
            "behind_ams": int(rows["is_behind"].sum()),
            **{column: figures[column] for column in SUMMED},
            "call_ratio": (
                round(figures["connected_calls"] / figures["calls"], 4)
                if figures["calls"]
                else None
            ),
            "progress": round(figures["recorded_usd"] / targets, 4) if has_target else None,
            "expected_progress": (
                round(figures["weighted_expected"] / targets, 4) if has_target else None
            ),
        }

    rows = [total(team, name) for name, team in frame.groupby("team_name", sort=True)]
    rows.append(total(frame, "All teams"))
    return pd.DataFrame(rows)
