"""An AM's shifts and leave as a manager edits them (issue 25): leave added, refused when it
overlaps or ends before it starts, cancelled (leave to come goes, leave under way ends
yesterday in the AM's own zone, past leave stays); each change audited, once per action id,
and followed by the next registration. NOW is Tuesday 2026-03-10 12:00 UTC."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from crm.actions import ActionRefused
from crm.actions import distribution as dist
from crm.distribution.availability import Shift
from crm.distribution.week import am_weeks, leave_not_over, parse_day
from crm.errors import UserError
from tests.crm.distribution_floor import NOW, T, add_staff, owners, person, register, rule, shifts


def leave_rows(engine) -> list[tuple]:
    leave = T["am_leave"]
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                sa.select(leave.c.am_id, leave.c.first_day, leave.c.last_day).order_by(
                    leave.c.am_id, leave.c.first_day
                )
            )
        ]


def count(engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(T[table]))


def add(engine, am_id, first, last, action_id=None, now=NOW):
    return dist.add_leave(
        engine,
        actor_id=None,
        action_id=action_id or f"leave-{am_id}-{first}",
        am_id=am_id,
        first=first,
        last=last,
        now=now,
    )


def cancel(engine, leave_id, action_id="cancel-1", now=NOW):
    return dist.cancel_leave(engine, actor_id=None, action_id=action_id, leave_id=leave_id, now=now)


@pytest.mark.parametrize(
    ("first", "last", "words"),
    [
        # Ravi is away Thursday 12 to Saturday 14 March.
        (date(2026, 3, 14), date(2026, 3, 16), "Ravi is on leave from 2026-03-12 to 2026-03-14"),
        (date(2026, 3, 10), date(2026, 3, 12), "already: cancel that leave first"),
        (date(2026, 3, 13), date(2026, 3, 13), "already"),
        (date(2026, 3, 1), date(2026, 3, 31), "already"),
        (date(2026, 3, 20), date(2026, 3, 18), "the leave ends (2026-03-18) before it starts"),
        (date(2026, 3, 20), date(2027, 3, 21), "longer than 366 days"),
    ],
)
def test_overlapping_or_backward_leave_is_refused_and_nothing_written(
    crm_engine, first, last, words
):
    ravi = add_staff(crm_engine, "Ravi")
    add(crm_engine, ravi, date(2026, 3, 12), date(2026, 3, 14))
    before = (leave_rows(crm_engine), count(crm_engine, "audit_log"))
    with pytest.raises(ActionRefused) as refused:
        add(crm_engine, ravi, first, last, action_id="leave-again")
    assert words in str(refused.value)
    assert "\n" not in str(refused.value)
    assert (leave_rows(crm_engine), count(crm_engine, "audit_log")) == before


def test_leave_that_only_touches_another_and_another_am_s_leave_are_taken(crm_engine):
    ravi, anna = add_staff(crm_engine, "Ravi"), add_staff(crm_engine, "Anna")
    add(crm_engine, ravi, date(2026, 3, 12), date(2026, 3, 14))
    add(crm_engine, ravi, date(2026, 3, 15), date(2026, 3, 15))
    add(crm_engine, ravi, date(2026, 3, 9), date(2026, 3, 11))
    add(crm_engine, anna, date(2026, 3, 12), date(2026, 3, 14))
    assert leave_rows(crm_engine) == [
        (ravi, date(2026, 3, 9), date(2026, 3, 11)),
        (ravi, date(2026, 3, 12), date(2026, 3, 14)),
        (ravi, date(2026, 3, 15), date(2026, 3, 15)),
        (anna, date(2026, 3, 12), date(2026, 3, 14)),
    ]


def test_cancelling_leave_to_come_removes_it_once_audited(crm_engine):
    ravi = add_staff(crm_engine, "Ravi")
    leave_id = add(crm_engine, ravi, date(2026, 3, 12), date(2026, 3, 14)).details["leave_id"]
    audits = count(crm_engine, "audit_log")
    result = cancel(crm_engine, leave_id)
    assert result.message == "Ravi's leave from 2026-03-12 to 2026-03-14 is cancelled."
    assert leave_rows(crm_engine) == []
    audit = T["audit_log"]
    with crm_engine.connect() as connection:
        row = connection.execute(
            sa.select(audit.c.action, audit.c.before, audit.c.after).where(
                audit.c.action_id == "cancel-1"
            )
        ).one()
    assert row.action == "distribution_shifts"
    assert row.before == {"am_id": ravi, "leave_id": leave_id, "leave": "2026-03-12 to 2026-03-14"}
    assert row.after is None
    # The same action id again answers as the first time and writes nothing.
    assert cancel(crm_engine, leave_id).message == result.message
    assert count(crm_engine, "audit_log") == audits + 1
    # A new click on leave that is gone: one line, nothing written.
    with pytest.raises(ActionRefused, match=f"there is no leave {leave_id}"):
        cancel(crm_engine, leave_id, action_id="cancel-2")
    assert count(crm_engine, "audit_log") == audits + 1


def test_cancelling_leave_under_way_ends_it_yesterday_in_the_am_s_own_zone(crm_engine):
    # 23:30 UTC on Tuesday 10 March is already Wednesday 11 in Nicosia (UTC+2) and still
    # Tuesday in London.
    late = datetime(2026, 3, 10, 23, 30, tzinfo=timezone.utc)
    eleni = add_staff(crm_engine, "Eleni", zone="Asia/Nicosia")
    tom = add_staff(crm_engine, "Tom", zone="Europe/London")
    eleni_leave = add(crm_engine, eleni, date(2026, 3, 9), date(2026, 3, 13)).details["leave_id"]
    tom_leave = add(crm_engine, tom, date(2026, 3, 9), date(2026, 3, 13)).details["leave_id"]
    said = cancel(crm_engine, eleni_leave, now=late).message
    assert said == "Eleni's leave ends 2026-03-10 instead of 2026-03-13: back from 2026-03-11."
    said = cancel(crm_engine, tom_leave, action_id="cancel-2", now=late).message
    assert said == "Tom's leave ends 2026-03-09 instead of 2026-03-13: back from 2026-03-10."
    assert leave_rows(crm_engine) == [
        (eleni, date(2026, 3, 9), date(2026, 3, 10)),
        (tom, date(2026, 3, 9), date(2026, 3, 9)),
    ]


def test_leave_starting_today_goes_whole_and_past_leave_stays(crm_engine):
    ravi = add_staff(crm_engine, "Ravi")
    today = add(crm_engine, ravi, date(2026, 3, 10), date(2026, 3, 11)).details["leave_id"]
    past = add(crm_engine, ravi, date(2026, 3, 2), date(2026, 3, 9)).details["leave_id"]
    cancel(crm_engine, today)
    with pytest.raises(ActionRefused, match="2026-03-02 to 2026-03-09 is over: it stays"):
        cancel(crm_engine, past, action_id="cancel-2")
    assert leave_rows(crm_engine) == [(ravi, date(2026, 3, 2), date(2026, 3, 9))]


def test_cancelled_leave_gives_the_am_leads_again_at_the_next_registration(crm_engine):
    ravi = add_staff(crm_engine, "Ravi")
    shifts(crm_engine, ravi)  # every day 09:00-18:00 UTC: on shift at NOW
    leave_id = add(crm_engine, ravi, date(2026, 3, 10), date(2026, 3, 10)).details["leave_id"]
    rule(crm_engine, "All", {ravi: 1})
    (first,) = register(crm_engine, [person(1)]).details["lead_ids"]
    cancel(crm_engine, leave_id)
    (second,) = register(crm_engine, [person(2)]).details["lead_ids"]
    # The first waits (nobody on shift), then goes first at the second registration.
    assert owners(crm_engine) == {first: ravi, second: ravi}


@pytest.mark.parametrize(
    ("week", "words"),
    [
        ([Shift(1, 9 * 60, 9 * 60)], "Tue 09:00-09:00 starts and ends at the same time"),
        (
            [Shift(1, 9 * 60, 13 * 60), Shift(1, 12 * 60, 18 * 60)],
            "Tue 09:00-13:00 and Tue 12:00-18:00 overlap",
        ),
    ],
)
def test_a_shift_of_no_length_or_overlapping_shifts_are_refused(crm_engine, week, words):
    ravi = add_staff(crm_engine, "Ravi")
    shifts(crm_engine, ravi)
    before = count(crm_engine, "am_shifts"), count(crm_engine, "audit_log")
    with pytest.raises(ActionRefused, match=words):
        dist.set_shifts(crm_engine, actor_id=None, action_id="week-2", am_id=ravi, shifts=week)
    assert (count(crm_engine, "am_shifts"), count(crm_engine, "audit_log")) == before


def test_the_page_lists_leave_not_over_in_each_am_s_own_day_and_weeks_as_typed(
    crm_engine, monkeypatch
):
    monkeypatch.setenv("STARBOARD_TIME_ZONE", "Europe/Paris")
    late = datetime(2026, 3, 10, 23, 30, tzinfo=timezone.utc)  # Wednesday 11 in Nicosia
    eleni = add_staff(crm_engine, "Eleni", zone="Asia/Nicosia")
    tom = add_staff(crm_engine, "Tom", zone="Europe/London")
    floor = add_staff(crm_engine, "Flo", zone=None)
    for am in (eleni, tom):
        add(crm_engine, am, date(2026, 3, 9), date(2026, 3, 10))
    add(crm_engine, floor, date(2026, 3, 12), date(2026, 3, 12))
    dist.set_shifts(
        crm_engine,
        actor_id=None,
        action_id="flo-week",
        am_id=floor,
        shifts=[Shift(1, 0, 1440), Shift(3, 9 * 60, 13 * 60), Shift(3, 14 * 60, 18 * 60)],
    )
    with crm_engine.connect() as connection:
        spells = leave_not_over(connection, late)
        weeks = {w.name: w for w in am_weeks(connection)}
    # Eleni's leave ended on her Tuesday, which is over; Tom's Tuesday is not.
    assert [(s.am, s.first_day, s.last_day, s.days, s.under_way) for s in spells] == [
        ("Tom", date(2026, 3, 9), date(2026, 3, 10), 2, True),
        ("Flo", date(2026, 3, 12), date(2026, 3, 12), 1, False),
    ]
    assert (weeks["Flo"].time_zone, weeks["Flo"].own_zone) == ("Europe/Paris", False)
    assert (weeks["Tom"].time_zone, weeks["Tom"].own_zone) == ("Europe/London", True)
    assert [weeks["Flo"].hours(day) for day in range(4)] == [
        "",
        "00:00-24:00",
        "",
        "09:00-13:00, 14:00-18:00",
    ]


@pytest.mark.parametrize(
    ("text", "shifts"),
    [
        ("", []),
        (" off ", []),
        ("09:00-18:00", [Shift(1, 540, 1080)]),
        ("22:00-06:00", [Shift(1, 1320, 360)]),
        ("09:00-13:00, 14:00-24:00", [Shift(1, 540, 780), Shift(1, 840, 1440)]),
    ],
)
def test_a_day_s_hours_as_typed(text, shifts):
    assert parse_day(1, text) == shifts


@pytest.mark.parametrize("text", ["9-18", "09:00", "09:00-25:00", "nine to six"])
def test_hours_not_typed_as_hours_are_one_line_naming_the_day(text):
    with pytest.raises(UserError, match=r"^Tue: .* is not hours like 09:00-18:00 \(leave it"):
        parse_day(1, text)
