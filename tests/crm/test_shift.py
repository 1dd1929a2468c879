"""The end-of-shift plan on hand-built leads across time zones, with answers worked out by hand.

Every callback is written in UTC with its local time beside it in a comment: that is the working
the expected answer rests on. Calling hours are 09:00-20:00 unless a test says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from crm.models import Base
from crm.settings import CallingHours, WorkingDays
from crm.shift import plan_end_of_shift

T = Base.metadata.tables
LONDON = ZoneInfo("Europe/London")
TOKYO = ZoneInfo("Asia/Tokyo")
DAY = CallingHours(time(9, 0), time(20, 0))
# Nearly the whole day, to see where each zone's tomorrow begins and ends.
WIDE = CallingHours(time(0, 0), time(23, 59))
# A floor that calls every day: the daylight-saving cases close a Saturday and call on Sunday.
EVERY_DAY = WorkingDays.parse("Mon-Sun")


def utc(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


@dataclass(frozen=True)
class L:
    """A lead to write: its zone, its callback (UTC), its AM, when it was starred."""

    name: str
    zone: str
    callback: datetime | None = None
    am: str | None = "ana"
    starred_at: datetime | None = None
    version: int = 1


def build(engine: sa.Engine, leads: list[L]) -> dict[str, int]:
    """Ana (an active AM), Ivo (an AM who left), a manager; the leads in order. Their ids."""
    stamp = utc(1, 1, 0)
    with engine.begin() as connection:
        staff = {}
        for key, name, role, active in [
            ("ana", "Ana Silva", "account_manager", True),
            ("ivo", "Ivo Petrov", "account_manager", False),
            ("mia", "Mia Brown", "lead_manager", True),
        ]:
            staff[key] = connection.execute(
                T["staff"].insert().returning(T["staff"].c.id),
                {
                    "name": name,
                    "email": f"{key}@broker.example",
                    "role": role,
                    "desk": "conversion" if role == "account_manager" else None,
                    "is_active": active,
                    "created_at": stamp,
                    "updated_at": stamp,
                },
            ).scalar_one()
        ids = {}
        for lead in leads:
            ids[lead.name] = connection.execute(
                T["leads"].insert().returning(T["leads"].c.id),
                {
                    "first_name": lead.name,
                    "last_name": "Lead",
                    "email": f"{lead.name.lower()}@example.com",
                    "phone": "+44 20 7946 0000",
                    "country": "GB",
                    "time_zone": lead.zone,
                    "language": "en",
                    "source": "test",
                    "registered_at": stamp,
                    "status": "assigned" if lead.am else "new",
                    "am_id": staff[lead.am] if lead.am else None,
                    "is_starred": lead.starred_at is not None,
                    "starred_by_id": staff["mia"] if lead.starred_at else None,
                    "starred_at": lead.starred_at,
                    "callback_at": lead.callback,
                    "version": lead.version,
                    "created_at": stamp,
                    "updated_at": stamp,
                },
            ).scalar_one()
    return ids


def plan(engine, now, hours=DAY, manager=LONDON, days=None):
    """The plan; ``days`` None reads the CRM's working days (none set: Monday to Friday)."""
    with engine.connect() as connection:
        return plan_end_of_shift(connection, manager, now, hours, days=days)


def first_names(refs) -> list[str]:
    return [ref.name.removesuffix(" Lead") for ref in refs]


def local_times(refs) -> dict[str, str]:
    return {ref.name.removesuffix(" Lead"): ref.local_callback.isoformat() for ref in refs}


# A manager in London at 18:00 on Tuesday 10 March 2026 (GMT, UTC+0) -------------------------

TUESDAY_EVENING = utc(3, 10, 18)
FLOOR = [
    # Tokyo (UTC+9) is at 03:00 on Wednesday 11: its tomorrow is Thursday 12 March.
    L("TokyoThursday", "Asia/Tokyo", utc(3, 12, 1)),  # Thu 12 10:00 JST
    L("TokyoWednesday", "Asia/Tokyo", utc(3, 11, 1)),  # Wed 11 10:00 JST: its today, not due
    # London: tomorrow is Wednesday 11; the hours include 09:00 and exclude 20:00.
    L("LondonNine", "Europe/London", utc(3, 11, 9)),  # 09:00 GMT
    L("LondonEarly", "Europe/London", utc(3, 11, 8, 59)),  # 08:59: before the hours
    L("LondonEight", "Europe/London", utc(3, 11, 20)),  # 20:00: the hours have ended
    # New York has been on summer time (UTC-4) since Sunday 8 March.
    L("NewYork", "America/New_York", utc(3, 11, 13)),  # Wed 11 09:00 EDT (08:00 in EST)
    L("NewYorkLate", "America/New_York", utc(3, 12, 0, 30)),  # Wed 11 20:30 EDT
    # Sydney (AEDT, UTC+11) is at 05:00 on Wednesday 11: its tomorrow is Thursday 12.
    L("SydneyThursday", "Australia/Sydney", utc(3, 11, 23)),  # Thu 12 10:00 AEDT
    L("SydneyWednesday", "Australia/Sydney", utc(3, 10, 23)),  # Wed 11 10:00: its today
    # Kiritimati (UTC+14) is at 08:00 on Wednesday 11: its tomorrow is Thursday 12.
    L("Kiritimati", "Pacific/Kiritimati", utc(3, 11, 20)),  # Thu 12 10:00
    L("KiritimatiToday", "Pacific/Kiritimati", utc(3, 11, 2)),  # Wed 11 16:00: its today
    # Honolulu (UTC-10) is at 08:00 on Tuesday 10: its tomorrow is the manager's, Wednesday 11.
    L("Honolulu", "Pacific/Honolulu", utc(3, 11, 19)),  # Wed 11 09:00 HST
    L("NoZone", "", utc(3, 11, 12)),  # no zone: UTC, Wed 11 12:00
    L("Unowned", "Europe/London", utc(3, 11, 10), am=None),
    L("Orphaned", "Europe/London", utc(3, 11, 10), am="ivo"),
    L("Martian", "Mars/Olympus", utc(3, 11, 10)),
    L("NextWeek", "Europe/London", utc(3, 17, 10)),
    L("PastCallback", "Europe/London", utc(3, 9, 10)),
    # The day's stars: set this morning, and by last night's end of shift for today's callback.
    L("StarredThisMorning", "Europe/London", None, starred_at=utc(3, 10, 9)),
    L("StarredLastNight", "Europe/London", utc(3, 10, 11), starred_at=utc(3, 9, 18)),
    L("StarredAndDue", "Europe/London", utc(3, 11, 11), starred_at=utc(3, 10, 9), version=4),
    L("StarredOrphan", "Europe/London", utc(3, 11, 11), am="ivo", starred_at=utc(3, 10, 9)),
]


def test_tomorrow_is_each_leads_own_next_day_inside_the_calling_hours(crm_engine):
    build(crm_engine, FLOOR)

    shift = plan(crm_engine, TUESDAY_EVENING)

    # In the order they fall due.
    assert first_names(shift.star) == [
        "LondonNine",  # Wed 11 09:00 UTC
        "StarredAndDue",  # 11:00 UTC
        "NoZone",  # 12:00 UTC
        "NewYork",  # 13:00 UTC
        "Honolulu",  # 19:00 UTC
        "Kiritimati",  # 20:00 UTC
        "SydneyThursday",  # 23:00 UTC
        "TokyoThursday",  # Thu 12 01:00 UTC
    ]
    assert local_times(shift.star) == {
        "LondonNine": "2026-03-11T09:00:00+00:00",
        "StarredAndDue": "2026-03-11T11:00:00+00:00",
        "NoZone": "2026-03-11T12:00:00+00:00",
        "NewYork": "2026-03-11T09:00:00-04:00",
        "Honolulu": "2026-03-11T09:00:00-10:00",
        "Kiritimati": "2026-03-12T10:00:00+14:00",
        "SydneyThursday": "2026-03-12T10:00:00+11:00",
        "TokyoThursday": "2026-03-12T10:00:00+09:00",
    }
    assert first_names(shift.unstar) == [
        "StarredThisMorning",
        "StarredOrphan",
    ]
    # Starred last night for 11:00 today and not called since: a missed callback, carried over.
    assert first_names(shift.carried) == ["StarredLastNight"]
    assert [(first_names([ref])[0], reason) for ref, reason in shift.skipped] == [
        (
            "LondonEarly",
            "its callback at 08:59 (its local time) is outside the calling hours 09:00-20:00",
        ),
        (
            "LondonEight",
            "its callback at 20:00 (its local time) is outside the calling hours 09:00-20:00",
        ),
        (
            "NewYorkLate",
            "its callback at 20:30 (its local time) is outside the calling hours 09:00-20:00",
        ),
        ("Unowned", "no AM owns it, so a star would show it to nobody: assign it first"),
        ("Orphaned", "its AM Ivo Petrov is inactive: assign it to an active AM"),
        ("Martian", "its time zone 'Mars/Olympus' is not an IANA zone: fix it"),
        ("StarredOrphan", "its AM Ivo Petrov is inactive: assign it to an active AM"),
    ]
    assert shift.day == date(2026, 3, 10)


def test_lead_refs_carry_what_applying_checks_and_the_preview_shows(crm_engine):
    ids = build(crm_engine, FLOOR)

    shift = plan(crm_engine, TUESDAY_EVENING)

    due = {ref.name: ref for ref in shift.star}
    starred_and_due = due["StarredAndDue Lead"]
    assert (starred_and_due.lead_id, starred_and_due.version) == (ids["StarredAndDue"], 4)
    assert starred_and_due.time_zone == "Europe/London"
    assert due["NoZone Lead"].time_zone == "UTC"
    assert due["TokyoThursday Lead"].local_callback.tzinfo == TOKYO
    starred_this_morning = shift.unstar[0]
    assert (starred_this_morning.lead_id, starred_this_morning.local_callback) == (
        ids["StarredThisMorning"],
        None,
    )


def test_the_managers_zone_names_the_day_but_not_who_is_due(crm_engine):
    build(crm_engine, FLOOR)

    from_london = plan(crm_engine, TUESDAY_EVENING, manager=LONDON)
    # The same moment seen from Tokyo (03:00 on Wednesday).
    from_tokyo = plan(crm_engine, TUESDAY_EVENING, manager=TOKYO)

    assert (from_tokyo.star, from_tokyo.unstar, from_tokyo.skipped) == (
        from_london.star,
        from_london.unstar,
        from_london.skipped,
    )
    assert (from_london.day, from_tokyo.day) == (date(2026, 3, 10), date(2026, 3, 11))


def test_a_manager_in_tokyo_stars_honolulu_for_the_managers_own_today(crm_engine):
    # 18:00 JST on Tuesday 10 March is 09:00 UTC; Honolulu is at 23:00 on Monday 9.
    build(
        crm_engine,
        [
            L("HonoluluTuesday", "Pacific/Honolulu", utc(3, 10, 19)),  # Tue 10 09:00 HST
            L("HonoluluWednesday", "Pacific/Honolulu", utc(3, 11, 19)),  # Wed 11 09:00 HST
            L("TokyoWednesday", "Asia/Tokyo", utc(3, 11, 1)),  # Wed 11 10:00 JST
            L("TokyoThursday", "Asia/Tokyo", utc(3, 12, 1)),  # Thu 12 10:00 JST
        ],
    )

    shift = plan(crm_engine, utc(3, 10, 9), manager=TOKYO)

    assert first_names(shift.star) == ["HonoluluTuesday", "TokyoWednesday"]
    assert (shift.unstar, shift.skipped, shift.day) == ([], [], date(2026, 3, 10))


# Daylight-saving changes tomorrow --------------------------------------------------------------


@dataclass(frozen=True)
class DstCase:
    now: datetime
    leads: list[L]
    # First names, in the order they fall due, and their local times.
    star_in_day_hours: dict[str, str]
    star_in_wide_hours: dict[str, str]
    skipped_in_day_hours: list[str] = field(default_factory=list)


DST_CASES = {
    # Berlin springs forward on Sunday 29 March 2026 at 02:00 CET: a 23-hour day, from
    # Sat 28 23:00 UTC to Sun 29 22:00 UTC. London does too, at 01:00 UTC.
    "berlin-and-london-spring-forward": DstCase(
        now=utc(3, 28, 18),  # Sat 18:00 in London, 19:00 in Berlin
        leads=[
            L("BerlinSaturday", "Europe/Berlin", utc(3, 28, 22, 30)),  # Sat 23:30 CET
            L("BerlinFirst", "Europe/Berlin", utc(3, 28, 23, 30)),  # Sun 00:30 CET
            # Set as 02:30, a time that does not exist that night: it resolved to 03:30 CEST.
            L("BerlinGap", "Europe/Berlin", utc(3, 29, 1, 30)),
            L("BerlinMorning", "Europe/Berlin", utc(3, 29, 7, 30)),  # 09:30 CEST (08:30 in CET)
            L("LondonMorning", "Europe/London", utc(3, 29, 8, 30)),  # 09:30 BST (08:30 in GMT)
            L("BerlinEvening", "Europe/Berlin", utc(3, 29, 18, 30)),  # 20:30 CEST (19:30 in CET)
            L("BerlinLast", "Europe/Berlin", utc(3, 29, 21, 30)),  # 23:30 CEST
            L("BerlinMonday", "Europe/Berlin", utc(3, 29, 22, 30)),  # Mon 00:30 CEST
        ],
        star_in_day_hours={
            "BerlinMorning": "2026-03-29T09:30:00+02:00",
            "LondonMorning": "2026-03-29T09:30:00+01:00",
        },
        star_in_wide_hours={
            "BerlinFirst": "2026-03-29T00:30:00+01:00",
            "BerlinGap": "2026-03-29T03:30:00+02:00",
            "BerlinMorning": "2026-03-29T09:30:00+02:00",
            "LondonMorning": "2026-03-29T09:30:00+01:00",
            "BerlinEvening": "2026-03-29T20:30:00+02:00",
            "BerlinLast": "2026-03-29T23:30:00+02:00",
        },
        skipped_in_day_hours=["BerlinFirst", "BerlinGap", "BerlinEvening", "BerlinLast"],
    ),
    # Berlin falls back on Sunday 25 October 2026 at 03:00 CEST: a 25-hour day, from
    # Sat 24 22:00 UTC to Sun 25 23:00 UTC, in which 02:00-03:00 happens twice.
    "berlin-falls-back": DstCase(
        now=utc(10, 24, 17),  # Sat 18:00 BST in London, 19:00 CEST in Berlin
        leads=[
            L("BerlinSaturday", "Europe/Berlin", utc(10, 24, 21, 30)),  # Sat 23:30 CEST
            L("BerlinFirstHalfPastTwo", "Europe/Berlin", utc(10, 25, 0, 30)),  # 02:30 CEST
            L("BerlinSecondHalfPastTwo", "Europe/Berlin", utc(10, 25, 1, 30)),  # 02:30 CET
            L("BerlinMorning", "Europe/Berlin", utc(10, 25, 7, 30)),  # 08:30 CET (09:30 CEST)
            L("BerlinEvening", "Europe/Berlin", utc(10, 25, 18, 30)),  # 19:30 CET (20:30 CEST)
            L("BerlinLast", "Europe/Berlin", utc(10, 25, 22, 30)),  # 23:30 CET (Mon in CEST)
            L("BerlinMonday", "Europe/Berlin", utc(10, 25, 23)),  # Mon 00:00 CET
        ],
        star_in_day_hours={"BerlinEvening": "2026-10-25T19:30:00+01:00"},
        star_in_wide_hours={
            "BerlinFirstHalfPastTwo": "2026-10-25T02:30:00+02:00",
            "BerlinSecondHalfPastTwo": "2026-10-25T02:30:00+01:00",
            "BerlinMorning": "2026-10-25T08:30:00+01:00",
            "BerlinEvening": "2026-10-25T19:30:00+01:00",
            "BerlinLast": "2026-10-25T23:30:00+01:00",
        },
        skipped_in_day_hours=[
            "BerlinFirstHalfPastTwo",
            "BerlinSecondHalfPastTwo",
            "BerlinMorning",
            "BerlinLast",
        ],
    ),
    # New York springs forward on Sunday 8 March 2026 at 02:00 EST: a 23-hour day, from
    # Sun 8 05:00 UTC to Mon 9 04:00 UTC.
    "new-york-springs-forward": DstCase(
        now=utc(3, 7, 18),  # Sat 18:00 in London, 13:00 EST in New York
        leads=[
            L("NewYorkSaturday", "America/New_York", utc(3, 8, 4, 30)),  # Sat 23:30 EST
            L("NewYorkFirst", "America/New_York", utc(3, 8, 5, 30)),  # Sun 00:30 EST
            # Set as 02:30, skipped that night: it resolved to 03:30 EDT.
            L("NewYorkGap", "America/New_York", utc(3, 8, 7, 30)),
            L("NewYorkMorning", "America/New_York", utc(3, 8, 13, 30)),  # 09:30 EDT (08:30 EST)
            L("NewYorkLast", "America/New_York", utc(3, 9, 3, 30)),  # Sun 23:30 EDT
            L("NewYorkMonday", "America/New_York", utc(3, 9, 4, 30)),  # Mon 00:30 EDT
        ],
        star_in_day_hours={"NewYorkMorning": "2026-03-08T09:30:00-04:00"},
        star_in_wide_hours={
            "NewYorkFirst": "2026-03-08T00:30:00-05:00",
            "NewYorkGap": "2026-03-08T03:30:00-04:00",
            "NewYorkMorning": "2026-03-08T09:30:00-04:00",
            "NewYorkLast": "2026-03-08T23:30:00-04:00",
        },
        skipped_in_day_hours=["NewYorkFirst", "NewYorkGap", "NewYorkLast"],
    ),
    # New York falls back on Sunday 1 November 2026 at 02:00 EDT: a 25-hour day, from
    # Sun 1 04:00 UTC to Mon 2 05:00 UTC, in which 01:00-02:00 happens twice.
    "new-york-falls-back": DstCase(
        now=utc(10, 31, 18),  # Sat 18:00 GMT in London, 14:00 EDT in New York
        leads=[
            L("NewYorkSaturday", "America/New_York", utc(11, 1, 3, 30)),  # Sat 23:30 EDT
            L("NewYorkFirstHalfPastOne", "America/New_York", utc(11, 1, 5, 30)),  # 01:30 EDT
            L("NewYorkSecondHalfPastOne", "America/New_York", utc(11, 1, 6, 30)),  # 01:30 EST
            L("NewYorkEvening", "America/New_York", utc(11, 2, 0, 30)),  # 19:30 EST (20:30 EDT)
            L("NewYorkLast", "America/New_York", utc(11, 2, 4, 30)),  # Sun 23:30 EST
            L("NewYorkMonday", "America/New_York", utc(11, 2, 5)),  # Mon 00:00 EST
        ],
        star_in_day_hours={"NewYorkEvening": "2026-11-01T19:30:00-05:00"},
        star_in_wide_hours={
            "NewYorkFirstHalfPastOne": "2026-11-01T01:30:00-04:00",
            "NewYorkSecondHalfPastOne": "2026-11-01T01:30:00-05:00",
            "NewYorkEvening": "2026-11-01T19:30:00-05:00",
            "NewYorkLast": "2026-11-01T23:30:00-05:00",
        },
        skipped_in_day_hours=[
            "NewYorkFirstHalfPastOne",
            "NewYorkSecondHalfPastOne",
            "NewYorkLast",
        ],
    ),
}


@pytest.mark.parametrize("case", DST_CASES.values(), ids=DST_CASES.keys())
def test_a_daylight_saving_change_tomorrow(crm_engine, case: DstCase):
    build(crm_engine, case.leads)

    in_day_hours = plan(crm_engine, case.now, DAY, days=EVERY_DAY)
    in_wide_hours = plan(crm_engine, case.now, WIDE, days=EVERY_DAY)

    assert first_names(in_day_hours.star) == list(case.star_in_day_hours)
    assert local_times(in_day_hours.star) == case.star_in_day_hours
    assert first_names(ref for ref, _ in in_day_hours.skipped) == case.skipped_in_day_hours
    assert first_names(in_wide_hours.star) == list(case.star_in_wide_hours)
    assert local_times(in_wide_hours.star) == case.star_in_wide_hours
    assert in_wide_hours.skipped == []
    assert in_day_hours.unstar == in_wide_hours.unstar == []


def test_nothing_starred_and_nothing_due_is_an_empty_plan(crm_engine):
    build(crm_engine, [L("NextWeek", "Europe/London", utc(3, 17, 10))])

    shift = plan(crm_engine, TUESDAY_EVENING)

    assert (shift.star, shift.unstar, shift.skipped) == ([], [], [])


def test_a_naive_now_is_refused(crm_engine):
    with pytest.raises(ValueError, match="naive"):
        plan(crm_engine, datetime(2026, 3, 10, 18))


# A manager in London at 18:00 on Friday 13 March 2026: the floor's tomorrow is Monday 16 ------

FRIDAY_EVENING = utc(3, 13, 18)


def test_on_a_friday_tomorrow_is_monday_with_the_weekends_callbacks(crm_engine):
    build(
        crm_engine,
        [
            L("FridayLate", "Europe/London", utc(3, 13, 19)),  # Fri 19:00: its today, not due
            L("Saturday", "Europe/London", utc(3, 14, 10)),  # Sat 10:00: no call that day
            L("SundayNight", "Europe/London", utc(3, 15, 21)),  # Sun 21:00: after the hours
            L("Monday", "Europe/London", utc(3, 16, 9)),  # Mon 09:00
            L("TokyoMonday", "Asia/Tokyo", utc(3, 16, 1)),  # Mon 10:00 JST (Sat 03:00 now)
            L("Tuesday", "Europe/London", utc(3, 17, 10)),  # Tue 10:00: after Monday
        ],
    )

    shift = plan(crm_engine, FRIDAY_EVENING)  # no setting: Monday to Friday

    assert local_times(shift.star) == {
        "Saturday": "2026-03-14T10:00:00+00:00",
        "Monday": "2026-03-16T09:00:00+00:00",
        "TokyoMonday": "2026-03-16T10:00:00+09:00",
    }
    assert first_names(ref for ref, _ in shift.skipped) == ["SundayNight"]
    # A floor that calls on Saturdays stars Saturday's callback, and Tokyo's Monday one: in
    # Tokyo it is Saturday already, whose next working day is Monday.
    weekend = plan(crm_engine, FRIDAY_EVENING, days=WorkingDays.parse("Mon-Sat"))
    assert first_names(weekend.star) == ["Saturday", "TokyoMonday"]
