"""Working days and the default callback (issue 22, item 6): the setting on SQLite and
PostgreSQL, and the first callback a form offers, worked out by hand on the calendar of March
2026 (Fri 13, Sat 14, Sun 15, Mon 16)."""

from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from crm import actions, settings
from crm.actions import ActionRefused
from crm.errors import UserError
from crm.settings import CallingHours, WorkingDays, default_callback
from tests.crm.actions_floor import NOW, build_floor, counts

OFFICE = CallingHours(time(9, 0), time(20, 0))


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Mon-Fri", "Mon,Tue,Wed,Thu,Fri"),
        ("sun-thu", "Mon,Tue,Wed,Thu,Sun"),
        ("Mon, Wed ,Fri", "Mon,Wed,Fri"),
        ("Sat", "Sat"),
    ],
)
def test_working_days_are_read_as_written(text, days):
    assert str(WorkingDays.parse(text)) == days


@pytest.mark.parametrize("text", ["", "Monday-Friday", "Mon-Funday", "1-5"])
def test_working_days_that_are_not_days_are_one_clear_error(text):
    with pytest.raises(UserError, match="are not days of the week: write them like Mon-Fri"):
        WorkingDays.parse(text)


@pytest.mark.parametrize(
    ("now", "zone", "hours", "days", "expected"),
    [
        # Friday noon in London: Saturday and Sunday are skipped.
        ("2026-03-13T12:00", "Europe/London", OFFICE, "Mon-Fri", "2026-03-16T10:00"),
        # Tuesday: the next day.
        ("2026-03-10T12:00", "Europe/London", OFFICE, "Mon-Fri", "2026-03-11T10:00"),
        # Friday 20:00 UTC is already Saturday 05:00 in Tokyo: Monday is the next working day.
        ("2026-03-13T20:00", "Asia/Tokyo", OFFICE, "Mon-Fri", "2026-03-16T10:00"),
        # Thursday 23:00 UTC is Thursday 20:00 in Sao Paulo (UTC-3): Friday.
        ("2026-03-12T23:00", "America/Sao_Paulo", OFFICE, "Mon-Fri", "2026-03-13T10:00"),
        # A Sunday-to-Thursday floor calls a Thursday lead back on Sunday.
        ("2026-03-12T08:00", "Asia/Dubai", OFFICE, "Sun-Thu", "2026-03-15T10:00"),
        # 10:00 is outside afternoon calling hours: their start.
        (
            "2026-03-10T12:00",
            "Europe/London",
            CallingHours(time(13, 0), time(21, 0)),
            "Mon-Fri",
            "2026-03-11T13:00",
        ),
    ],
)
def test_the_default_callback_is_the_leads_next_working_morning(now, zone, hours, days, expected):
    moment = datetime.fromisoformat(now).replace(tzinfo=timezone.utc)
    callback = default_callback(moment, ZoneInfo(zone), hours, WorkingDays.parse(days))
    assert callback == datetime.fromisoformat(expected)


def test_the_working_days_setting_is_set_audited_and_read(crm_engine):
    ids = build_floor(crm_engine)
    with crm_engine.connect() as connection:
        assert str(settings.working_days(connection)) == "Mon,Tue,Wed,Thu,Fri"
    result = actions.set_working_days(
        crm_engine, actor_id=ids["Maria"], action_id="w", days="Sun-Thu", now=NOW
    )
    assert result.message == "working days set to Mon,Tue,Wed,Thu,Sun, in each lead's own week."
    with crm_engine.connect() as connection:
        assert str(settings.working_days(connection)) == "Mon,Tue,Wed,Thu,Sun"
    before = counts(crm_engine)
    with pytest.raises(ActionRefused, match="are not days of the week"):
        actions.set_working_days(
            crm_engine, actor_id=ids["Maria"], action_id="w2", days="weekdays", now=NOW
        )
    assert counts(crm_engine) == before
