"""The demo's AMs have the weekly schedule their calls are made in: lead distribution, the "who
is behind" view and the live simulator see each AM on shift when the history has them at work.
A few AMs are on leave around the demo's last day, and make no calls on it.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from crm.demo import floor
from crm.distribution.availability import read_calendars
from dashboard.behind import working_spans
from tests.crm.test_demo import UNTIL, make_demo, rows


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def demo(request, tmp_path_factory) -> sa.Engine:
    """A small demo CRM per database, only read."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('schedule') / 'crm.sqlite'}"
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.url(server.create_database())
    engine = make_demo(url, leads=1_500, days=30)
    yield engine
    engine.dispose()


def schedules(demo) -> dict[int, list]:
    out = defaultdict(list)
    for shift in rows(demo, "am_shifts"):
        out[shift.am_id].append(shift)
    return out


def ams(demo, active: bool) -> dict[int, zoneinfo.ZoneInfo]:
    return {
        s.id: zoneinfo.ZoneInfo(s.time_zone)
        for s in rows(demo, "staff")
        if s.role == "account_manager" and s.is_active == active
    }


def test_every_active_am_has_a_nine_hour_daytime_shift_on_each_working_day(demo):
    by_am = schedules(demo)
    active = ams(demo, active=True)
    assert len(active) >= 5
    # The AMs who left have none; every active AM one shift a weekday, Monday to Friday (the
    # CRM's default working days), at the same hours every day: from 08:00, 08:30, ... 10:00
    # local time, 8 h 30 min of shift and half an hour for a last call to end.
    assert set(by_am) == set(active)
    for am_id, week in by_am.items():
        assert sorted(s.weekday for s in week) == [0, 1, 2, 3, 4], am_id
        assert len({(s.start_minute, s.end_minute) for s in week}) == 1, am_id
        start, end = week[0].start_minute, week[0].end_minute
        assert start in (480, 510, 540, 570, 600), am_id
        assert end == start + 9 * 60, am_id


def leave(demo) -> dict[int, list[tuple[date, date]]]:
    out = defaultdict(list)
    for spell in rows(demo, "am_leave"):
        out[spell.am_id].append((spell.first_day, spell.last_day))
    return out


def test_three_ams_are_on_leave_one_now_one_to_come_one_just_back(demo):
    spells = rows(demo, "am_leave")
    zone = ams(demo, active=True)
    assert len({s.am_id for s in spells}) == len(spells) == 3
    # The demo's last day in each AM's own zone: UNTIL is Friday 20 November 2026 18:00 UTC,
    # already Saturday 21 in Kuala Lumpur.
    today = {s.am_id: UNTIL.astimezone(zone[s.am_id]).date() for s in spells}
    assert set(today.values()) <= {date(2026, 11, 20), date(2026, 11, 21)}
    now, to_come, over = spells
    assert now.first_day <= today[now.am_id] < now.last_day
    assert to_come.first_day > today[to_come.am_id]
    assert over.last_day < today[over.am_id]
    for spell in spells:
        assert 1 <= (spell.last_day - spell.first_day).days + 1 <= 5


def test_every_call_lies_inside_a_shift_of_the_am_s_schedule_in_the_am_s_zone(demo):
    by_am = {am: {s.weekday: s for s in week} for am, week in schedules(demo).items()}
    away = leave(demo)
    zone = ams(demo, active=True)
    calls = rows(demo, "calls")
    assert len(calls) > 3_000
    on_leave_days = 0
    for call in calls:
        start = call.started_at.astimezone(zone[call.am_id])
        end = start + timedelta(seconds=call.duration_s)
        shift = by_am[call.am_id].get(start.weekday())
        assert shift is not None, call
        midnight = datetime.combine(start.date(), time(0), tzinfo=start.tzinfo)
        assert midnight + timedelta(minutes=shift.start_minute) <= start, call
        assert end <= midnight + timedelta(minutes=shift.end_minute), call
        # No call on a day of the AM's leave (in their own zone).
        assert not any(first <= start.date() <= last for first, last in away[call.am_id]), call
    # And the leave did cost working days in the history (the 20th, a Friday, is its last).
    for spells in away.values():
        for first, last in spells:
            days = [first + timedelta(days=d) for d in range((last - first).days + 1)]
            on_leave_days += sum(d.weekday() < 5 and d < date(2026, 11, 20) for d in days)
    assert on_leave_days >= 1


def test_lead_distribution_has_an_am_on_shift_at_each_of_their_calls(demo):
    calls = rows(demo, "calls")
    with demo.connect() as connection:
        calendars = read_calendars(connection, am_ids={c.am_id for c in calls})
    off = [c for c in calls if calendars[c.am_id].shift_end(c.started_at) is None]
    assert off == []


def test_the_behind_view_s_working_time_of_a_demo_am_is_their_schedule(demo):
    with demo.connect() as connection:
        calendars = read_calendars(connection, am_ids=list(ams(demo, active=True)))
    for am_id, shifts in schedules(demo).items():
        zone = zoneinfo.ZoneInfo(calendars[am_id].time_zone)
        start = shifts[0].start_minute
        # Wednesday 18 November 2026, the AM's own day: the shift, not the floor's 09:00-18:00.
        wednesday = date(2026, 11, 18)
        midnight = datetime.combine(wednesday, time(0), tzinfo=zone)
        assert working_spans(calendars[am_id], wednesday, midnight) == [
            (midnight + timedelta(minutes=start), midnight + timedelta(minutes=start + 540))
        ]
        saturday = date(2026, 11, 14)
        saturday_start = datetime.combine(saturday, time(0), tzinfo=zone)
        assert working_spans(calendars[am_id], saturday, saturday_start) == []


def test_the_simulator_dials_only_for_ams_on_shift_in_the_crm(demo):
    # The live simulator reads the CRM's shifts and leave: every AM it has at work, quarter-hour
    # by quarter-hour over the week after the demo's last day, is on shift (and not on leave)
    # for lead distribution; each AM with a working day off leave in that week is seen.
    with demo.connect() as connection:
        calendars = read_calendars(connection, am_ids=list(ams(demo, active=True)))
        seen = set()
        for step in range(7 * 24 * 4):
            now = UNTIL + timedelta(minutes=15 * step)
            since = now - timedelta(microseconds=1)
            for am in floor.ams_at_work(connection, since, now):
                assert calendars[am.id].shift_end(now) is not None, (am.id, now)
                assert am.block_end <= calendars[am.id].shift_end(now), (am.id, now)
                seen.add(am.id)
    # Monday 23 to Friday 27 November, the AMs' own days.
    week = [date(2026, 11, 23) + timedelta(days=d) for d in range(5)]
    away = leave(demo)
    working = {
        am_id
        for am_id in calendars
        if any(not any(f <= day <= last for f, last in away[am_id]) for day in week)
    }
    assert seen == working
    assert len(working) >= len(calendars) - 1
