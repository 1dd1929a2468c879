"""An AM whose staff row has no time zone works shifts on the floor's clock
(``STARBOARD_TIME_ZONE``), in distribution, the behind view and the demo's simulator alike."""

from __future__ import annotations

from datetime import date, datetime, timezone
from types import SimpleNamespace

from crm.distribution.availability import calendars

# Monday 9 March 2026: Asia/Nicosia is UTC+2 (summer time starts on the 29th), Tokyo UTC+9.
MONDAY = date(2026, 3, 9)


def utc(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 9, hour, minute, tzinfo=timezone.utc)


def shift(am_id: int, start_minute: int, end_minute: int) -> SimpleNamespace:
    return SimpleNamespace(am_id=am_id, weekday=0, start_minute=start_minute, end_minute=end_minute)


def test_an_am_without_a_zone_works_in_the_floor_s_zone(monkeypatch):
    monkeypatch.setenv("STARBOARD_TIME_ZONE", "Asia/Nicosia")
    known = calendars({7: None, 8: "Asia/Tokyo"}, [shift(7, 540, 1020), shift(8, 540, 1020)], [])
    assert known[7].time_zone == "Asia/Nicosia"
    assert known[8].time_zone == "Asia/Tokyo"
    # 09:00-17:00 Nicosia is 07:00-15:00 UTC; 09:00-17:00 Tokyo is 00:00-08:00 UTC.
    assert known[7].shift_end(utc(6, 59)) is None
    assert known[7].shift_end(utc(7, 0)).astimezone(timezone.utc) == utc(15)
    assert known[8].shift_end(utc(7, 59)).astimezone(timezone.utc) == utc(8)
    assert known[8].shift_end(utc(8, 0)) is None


def test_without_a_floor_zone_an_am_without_a_zone_works_in_utc(monkeypatch):
    monkeypatch.delenv("STARBOARD_TIME_ZONE", raising=False)
    known = calendars({7: None}, [shift(7, 540, 1020)], [])
    assert known[7].time_zone == "UTC"
    assert known[7].shift_end(utc(9)).astimezone(timezone.utc) == utc(17)
