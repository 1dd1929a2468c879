"""The "behind today" rules without Streamlit (dashboard/behind.py): working time by shifts,
leave and the floor's hours, and each reason in words, on rows written here."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pandas as pd

from crm.distribution.availability import Calendar, Shift
from dashboard import behind

UTC = timezone.utc
TUESDAY = date(2026, 3, 10)
START = datetime(2026, 3, 10, tzinfo=UTC)


def at(hour: int, minute: int = 0, day: date = TUESDAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def row(**figures) -> dict:
    base = dict(
        idle_seconds=0,
        calls=20,
        call_ratio=0.30,
        progress=None,
        expected_progress=None,
        target_start=None,
        target_end=None,
    )
    return base | figures


def test_without_shifts_the_floors_hours_on_a_working_day_only():
    assert behind.working_spans(None, TUESDAY, START) == [(at(9), at(18))]
    assert behind.working_spans(Calendar(), TUESDAY, START) == [(at(9), at(18))]
    saturday = date(2026, 3, 14)
    saturday_start = datetime(2026, 3, 14, tzinfo=UTC)
    assert behind.working_spans(None, saturday, saturday_start) == []


def test_shifts_in_the_ams_own_zone_overnight_and_on_leave():
    # Nicosia is UTC+2 in March: Monday 22:00 to Tuesday 06:00 there is Monday 20:00 to
    # Tuesday 04:00 UTC, of which the reporting day (UTC) holds 00:00-04:00; Tuesday's
    # 14:00-18:00 there is 12:00-16:00 UTC.
    nicosia = Calendar("Asia/Nicosia", (Shift(0, 22 * 60, 6 * 60), Shift(1, 14 * 60, 18 * 60)))
    spans = behind.working_spans(nicosia, TUESDAY, START)
    assert spans == [(at(0), at(4)), (at(12), at(16))]
    # From a call at 03:00 to 13:30: 1 h of the night shift, 1 h 30 min of the afternoon's.
    assert behind.working_seconds(spans, at(3), at(13, 30)) == 2.5 * 3600
    assert behind.at_work(spans, at(13, 30)) and not behind.at_work(spans, at(10))
    # On leave on Tuesday (their own day): only Monday's night shift is left.
    away = Calendar(nicosia.time_zone, nicosia.shifts, ((TUESDAY, TUESDAY),))
    assert behind.working_spans(away, TUESDAY, START) == [(at(0), at(4))]


def test_idle_at_the_limit_is_behind_and_a_minute_less_is_not():
    assert [behind.idle_words(s) for s in (0, 59, 60, 7200, 90_000)] == [
        "0 min",
        "0 min",
        "1 min",
        "2 h",
        "25 h",
    ]
    assert behind.reasons(row(idle_seconds=7200), 0.30) == ["2 h without a call"]
    assert behind.reasons(row(idle_seconds=7199), 0.30) == []


def test_a_ratio_under_half_the_teams_from_ten_calls_on():
    assert behind.reasons(row(call_ratio=0.12), 0.31) == ["ratio 12 % vs team 31 %"]
    assert behind.reasons(row(call_ratio=0.16), 0.31) == []  # more than half of 31 %
    assert behind.reasons(row(calls=9, call_ratio=0.0), 0.31) == []  # too few calls to say


def test_pace_under_three_quarters_of_the_share_expected_names_the_period():
    march = dict(target_start=date(2026, 3, 1), target_end=date(2026, 3, 31))
    assert behind.reasons(row(progress=0.40, expected_progress=0.70, **march), 0.30) == [
        "40 % of target at 70 % of the month"
    ]
    assert behind.reasons(row(progress=0.53, expected_progress=0.70, **march), 0.30) == []
    # Before a quarter of the period has gone, the share reached says too little.
    assert behind.reasons(row(progress=0.0, expected_progress=0.24, **march), 0.30) == []
    fortnight = dict(target_start=date(2026, 3, 2), target_end=date(2026, 3, 15))
    assert behind.reasons(row(progress=0.0, expected_progress=0.5, **fortnight), 0.30) == [
        "0 % of target at 50 % of the period"
    ]


def test_every_reason_at_once_and_the_team_ratio_counts_all_its_ams():
    frame = pd.DataFrame(
        [
            dict(am_id=1, am_name="A", team_name="T", calls=10, connected_calls=1),
            dict(am_id=2, am_name="B", team_name="T", calls=10, connected_calls=5),
        ]
    ).assign(
        call_ratio=[0.1, 0.5],
        last_call_at=[at(9), at(11, 50)],
        progress=[0.1, None],
        expected_progress=[0.7, None],
        target_start=[date(2026, 3, 1), None],
        target_end=[date(2026, 3, 31), None],
        target_usd=[100.0, None],
        recorded_usd=[10.0, None],
        talk_seconds=[0, 0],
        deposits=[0, 0],
        deposit_usd=[0.0, 0.0],
        ftds=[0, 0],
        starred_not_called=[0, 0],
    )
    assessed = behind.assess(frame, {}, TUESDAY, START, at(12))
    # Team ratio 6 / 20 = 30 %: A's 10 % is under half of it.
    assert assessed["behind"].tolist() == [
        "3 h without a call; ratio 10 % vs team 30 %; 10 % of target at 70 % of the month",
        "",
    ]
    assert assessed["idle_seconds"].tolist() == [3 * 3600, 10 * 60]
    totals = behind.subtotals(assessed)
    assert totals["team_name"].tolist() == ["T", "All teams"]
    assert totals["calls"].tolist() == [20, 20]
    assert totals["call_ratio"].tolist() == [0.3, 0.3]
    assert totals["behind_ams"].tolist() == [1, 1]
    assert totals["progress"].tolist() == [0.1, 0.1]


def test_a_last_call_after_the_moment_judged_is_no_idle_time():
    spans = behind.working_spans(None, TUESDAY, START)
    assert behind.working_seconds(spans, at(12) + timedelta(minutes=5), at(12)) == 0
