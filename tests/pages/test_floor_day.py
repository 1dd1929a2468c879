"""The floor's day on the pages' side (issue 23, item 2): "today", a running day's windows and
the viewer's zone, for a floor in Asia/Nicosia (UTC+2 in March). Values worked out by hand."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from crm.errors import UserError
from crm.time_zones import floor_zone_name
from dashboard import kpas, periods
from dashboard.data import viewer_zone
from dashboard.periods import Period


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.fixture
def nicosia(monkeypatch):
    monkeypatch.setenv("STARBOARD_TIME_ZONE", "Asia/Nicosia")
    monkeypatch.delenv("STARBOARD_TODAY", raising=False)


def test_today_is_the_floors_date(nicosia, monkeypatch):
    # 22:30 UTC on 03-09 is 00:30 on 03-10 in Nicosia.
    monkeypatch.setenv("STARBOARD_NOW", "2026-03-09T22:30:00+00:00")
    assert periods.today() == date(2026, 3, 10)
    assert periods.is_running(date(2026, 3, 10))
    assert not periods.is_running(date(2026, 3, 9))
    monkeypatch.setenv("STARBOARD_NOW", "2026-03-09T21:30:00+00:00")  # 23:30 there
    assert periods.today() == date(2026, 3, 9)


def test_a_reporting_day_starts_at_the_floors_midnight(nicosia):
    assert periods.day_start(date(2026, 3, 10)) == utc("2026-03-09T22:00:00")
    # Summer time (UTC+3) from 03-29.
    assert periods.day_start(date(2026, 4, 1)) == utc("2026-03-31T21:00:00")


def test_a_running_period_and_the_one_before_to_the_same_minute(nicosia, monkeypatch):
    monkeypatch.setenv("STARBOARD_NOW", "2026-03-10T08:00:00+00:00")  # 10:00 in Nicosia
    today = Period(date(2026, 3, 10), date(2026, 3, 10))
    assert periods.running_until(today) == (utc("2026-03-09T22:00:00"), utc("2026-03-10T08:00:00"))
    assert periods.same_minute(today.previous(), utc("2026-03-10T08:00:00")) == (
        utc("2026-03-08T22:00:00"),
        utc("2026-03-09T08:00:00"),
    )
    assert periods.floor_clock(utc("2026-03-10T08:00:00")) == "10:00 Asia/Nicosia"


def test_the_executive_windows_follow_the_floors_clock(nicosia):
    # 00:30 on 03-10 in Nicosia: today from 03-09 22:00 UTC; yesterday and last week to 00:30.
    windows = kpas.so_far_windows(utc("2026-03-09T22:30:00"))
    assert windows == {
        "today": (utc("2026-03-09T22:00:00"), utc("2026-03-09T22:30:00")),
        "yesterday": (utc("2026-03-08T22:00:00"), utc("2026-03-08T22:30:00")),
        "last_week": (utc("2026-03-02T22:00:00"), utc("2026-03-02T22:30:00")),
    }


def test_a_floor_zone_that_is_no_zone_is_one_line(monkeypatch):
    monkeypatch.setenv("STARBOARD_TIME_ZONE", "Mars/Olympus")
    with pytest.raises(UserError, match="STARBOARD_TIME_ZONE 'Mars/Olympus' is not a time zone"):
        floor_zone_name()
    monkeypatch.setenv("STARBOARD_TIME_ZONE", "")
    assert floor_zone_name() == "UTC"


@pytest.mark.parametrize(
    ("staff_zone", "browser_zone", "shown"),
    [
        ("Asia/Tokyo", "Europe/Paris", "Asia/Tokyo"),  # the staff row's, when set
        ("", "Europe/Paris", "Europe/Paris"),  # else the browser's
        (None, "Not/A_Zone", "Asia/Nicosia"),  # else the floor's
        (None, None, "Asia/Nicosia"),
    ],
)
def test_each_viewer_sees_times_in_their_own_zone(nicosia, staff_zone, browser_zone, shown):
    assert viewer_zone(staff_zone, browser_zone).key == shown
