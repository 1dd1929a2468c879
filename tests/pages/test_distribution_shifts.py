"""The Distribution page's "Shifts and leave": a lead manager changes one AM's Tuesday, adds
leave, is refused overlapping leave with one line and nothing written, and cancels the leave.
The page's moment is Tuesday 2026-03-10 12:00 UTC; the AMs work in London (GMT then)."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from crm.actions import distribution as dist
from crm.db import create_crm_engine
from crm.distribution.availability import Shift
from dashboard.shifts import AM_KEY, CHOSEN_LEAVE_KEY, FIRST_KEY, LAST_KEY, LEAVE_AM_KEY, day_key
from tests.pages.conftest import ALAN, BEA, MIA

PAGE = "pages/distribution.py"
WEEKDAYS_9_TO_18 = [Shift(day, 9 * 60, 18 * 60) for day in range(5)]


def table_with(at, column: str):
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def said(at) -> tuple[list[str], list[str]]:
    """The success and error lines as read (``plain`` escapes Markdown's marks, colons too)."""

    def read(text: str) -> str:
        return re.sub(r"\\(.)", r"\1", text)

    return [read(s.value) for s in at.success], [read(e.value) for e in at.error]


def toasted(at) -> list[str]:
    """The toasts of the run: the same lines, shown where the manager is looking."""
    return [re.sub(r"\\(.)", r"\1", t.value) for t in at.toast]


def rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql))]


def test_a_manager_edits_a_tuesday_adds_and_cancels_leave(open_page, writable_crm):
    engine = create_crm_engine(writable_crm.url)
    dist.set_shifts(engine, actor_id=MIA, action_id="week", am_id=ALAN, shifts=WEEKDAYS_9_TO_18)
    at = open_page(PAGE, writable_crm.warehouse, staff_id=MIA)
    assert not at.exception, at.exception
    weeks = table_with(at, "Tue").set_index("AM")
    assert weeks.loc["Alan Ames", ["Time zone", "Mon", "Tue", "Sat", "Leave"]].tolist() == [
        "Europe/London",
        "09:00-18:00",
        "09:00-18:00",
        "off",
        "",
    ]
    assert weeks.loc["Bea Brook", "Tue"] == "off"

    # Alan's Tuesday becomes 12:00-20:00; the other days stay as they were.
    at.selectbox(key=AM_KEY).select(ALAN).run()
    at.text_input(key=day_key(ALAN, 1)).input("12:00-20:00")
    at.button(key="distribution.shifts.save").click().run()
    assert said(at) == (
        [
            "Alan Ames's week: Mon 09:00-18:00, Tue 12:00-20:00, Wed 09:00-18:00, "
            "Thu 09:00-18:00, Fri 09:00-18:00."
        ],
        [],
    )
    assert rows(
        engine,
        "SELECT weekday, start_minute, end_minute FROM am_shifts WHERE am_id = 2 ORDER BY weekday",
    ) == [(0, 540, 1080), (1, 720, 1200), (2, 540, 1080), (3, 540, 1080), (4, 540, 1080)]
    assert table_with(at, "Tue").set_index("AM").loc["Alan Ames", "Tue"] == "12:00-20:00"

    # Hours typed the wrong way: one line, nothing written.
    at.text_input(key=day_key(ALAN, 3)).input("9-18")
    at.button(key="distribution.shifts.save").click().run()
    assert said(at) == (
        [],
        ["Thu: '9-18' is not hours like 09:00-18:00 (leave it blank for a day off)."],
    )
    assert len(rows(engine, "SELECT 1 FROM am_shifts WHERE am_id = 2")) == 5

    # Bea away Thursday 12 and Friday 13 March.
    at.selectbox(key=LEAVE_AM_KEY).select(BEA)
    at.date_input(key=FIRST_KEY).set_value(date(2026, 3, 12))
    at.date_input(key=LAST_KEY).set_value(date(2026, 3, 13))
    at.button(key="distribution.leave.add").click().run()
    assert said(at) == (["Bea Brook is on leave from 2026-03-12 to 2026-03-13."], [])
    leave = table_with(at, "Days")
    assert leave.astype(str).to_dict("list") == {
        "AM": ["Bea Brook"],
        "From": ["2026-03-12"],
        "To": ["2026-03-13"],
        "Days": ["2"],
        "Now": ["to come"],
    }
    assert table_with(at, "Tue").set_index("AM").loc["Bea Brook", "Leave"] == (
        "away 2026-03-12 to 2026-03-13"
    )

    # Friday to Monday overlaps it: refused, nothing written.
    at.selectbox(key=LEAVE_AM_KEY).select(BEA)
    at.date_input(key=FIRST_KEY).set_value(date(2026, 3, 13))
    at.date_input(key=LAST_KEY).set_value(date(2026, 3, 16))
    at.button(key="distribution.leave.add").click().run()
    refused = (
        "Bea Brook is on leave from 2026-03-12 to 2026-03-13 already: cancel that leave "
        "first, or pick days around it."
    )
    assert said(at) == ([], [refused])
    assert toasted(at) == [refused]
    assert rows(engine, "SELECT am_id, first_day, last_day FROM am_leave") == [
        (BEA, "2026-03-12", "2026-03-13")
    ]

    (leave_id,) = [row[0] for row in rows(engine, "SELECT id FROM am_leave")]
    at.selectbox(key=CHOSEN_LEAVE_KEY).select(leave_id)
    # Leave to come: the button says what it does, its help what happens to leave under way.
    cancel = at.button(key="distribution.leave.cancel")
    assert cancel.label == "Cancel this leave"
    assert "Leave under way ends yesterday instead" in cancel.help
    cancel.click().run()
    cancelled = "Bea Brook's leave from 2026-03-12 to 2026-03-13 is cancelled."
    assert said(at) == ([cancelled], [])
    assert toasted(at) == [cancelled]
    assert rows(engine, "SELECT id FROM am_leave") == []
    assert "Nobody is on leave or has leave to come." in [c.value for c in at.caption]
    # Every change is the signed-in manager's, audited.
    assert (
        rows(engine, "SELECT actor_id, action FROM audit_log WHERE action = 'distribution_shifts'")
        == [(MIA, "distribution_shifts")] * 4
    )
