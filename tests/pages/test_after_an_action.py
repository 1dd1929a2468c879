"""After an action (issue 22, item 4): the selection clears, the button waits for a new one,
the page's counts and rows show the new state at once (no ETL runs), and a second call outcome
on one lead within a minute asks first. On the hand-built CRM (tests/etl/small_crm.py) at AS_OF
(2026-03-10 12:00 UTC, a Tuesday).

Hand-worked: Ben Hall (2, Bea's, London, 12:00 local, callback 03-10 18:00 UTC) is the only
starred lead. Ana Lima (1, Alan's, Sao Paulo, 09:00 local: inside 09:00-20:00, no callback) is
not starred. The All leads table lists Ben (row 0), Ana (1), Cara (2), Dan (3).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time

import pytest
import sqlalchemy as sa

from crm.db import create_crm_engine
from tests.pages.conftest import captions
from tests.pages.test_actions import ALAN, BEA, MIA, all_rows, lead, select, shown, submit, toasts

ALL_LEADS = "pages/all_leads.py"
STAR_BOARD = "pages/star_board.py"


@pytest.fixture
def crm(writable_crm) -> Iterator[sa.Engine]:
    engine = create_crm_engine(writable_crm.url)
    yield engine
    engine.dispose()


def test_after_an_assignment_the_selection_clears_and_the_button_waits(
    open_page, writable_crm, crm
):
    at = open_page(ALL_LEADS, writable_crm.warehouse, staff_id=MIA)
    select(at, "all_leads.table", 3)  # Dan
    at.selectbox(key="all_leads.assign.am").select(ALAN)
    submit(at, "all_leads.assign").click().run()
    assert toasts(at)
    assert at.session_state["all_leads.table"]["selection"]["rows"] == []
    assert "Selected: Dan Saleh" not in captions(at)
    assert "Select leads in the table to assign them." in captions(at)
    assert submit(at, "all_leads.assign").disabled
    assert submit(at, "all_leads.stars.star").disabled


def test_the_star_boards_counts_agree_with_its_list_at_once(open_page, writable_crm, crm):
    at = open_page(ALL_LEADS, writable_crm.warehouse, staff_id=MIA)
    select(at, "all_leads.table", 1)  # Ana
    submit(at, "all_leads.stars.star").click().run()
    at.switch_page(STAR_BOARD).run()
    assert not at.exception, at.exception
    per_am = at.dataframe[0].value
    # Alan: Ana (callable at 09:00 in Sao Paulo, no callback); Bea: Ben (callable, due 18:00).
    assert per_am[["am_name", "starred", "callable_now", "callbacks_due"]].values.tolist() == [
        ["Alan Ames", 1, 1, 0],
        ["Bea Brook", 1, 1, 1],
    ]
    assert "2 starred leads" in captions(at)

    select(at, "star.leads", 0)  # Ben
    submit(at, "star.stars.unstar").click().run()
    assert shown(at, "star.leads")["lead_name"].tolist() == ["Ana Lima"]
    assert "1 starred leads" in captions(at)
    per_am = at.dataframe[0].value
    assert per_am[["am_name", "starred", "callable_now", "callbacks_due"]].values.tolist() == [
        ["Alan Ames", 1, 1, 0],
    ]


def test_a_second_outcome_within_a_minute_asks_to_replace_the_first(open_page, writable_crm, crm):
    at = open_page("pages/my_leads.py", writable_crm.warehouse, staff_id=BEA)
    select(at, "my_leads.table", 0)  # Ben
    at.radio(key="my_leads.call.outcome").set_value("no_answer").run()
    at.date_input(key="my_leads.call.2.day").set_value(date(2026, 3, 30))
    at.time_input(key="my_leads.call.2.time").set_value(time(10, 0))
    submit(at, "my_leads.call").click().run()
    assert not at.error
    (first,) = all_rows(crm, "select id, outcome from calls where id > 7")
    assert submit(at, "my_leads.call").disabled  # Ben is no longer selected

    # Two seconds later (the page's clock is fixed: 0 s) the AM logs "connected" on Ben.
    select(at, "my_leads.table", 0)
    at.radio(key="my_leads.call.outcome").set_value("connected").run()
    replaces = f"my_leads.call.2.replaces.{first['id']}"
    assert at.checkbox(key=replaces).label == (
        "This call replaces the one you logged 0 s ago (No answer (set a callback))"
    )
    submit(at, "my_leads.call").click().run()
    assert [error.value for error in at.error] == [
        "you logged no answer on lead 2 0 s ago: nothing was saved; confirm that this call "
        "replaces it, or leave the first as it is."
    ]
    assert all_rows(crm, "select outcome from calls where id > 7") == [{"outcome": "no_answer"}]
    callback = lead(crm, 2)["callback_at"]
    assert callback is not None  # the callback just set is kept

    at.checkbox(key=replaces).check()
    submit(at, "my_leads.call").click().run()
    assert not at.error
    assert all_rows(crm, "select outcome from calls where id > 7") == [{"outcome": "connected"}]
