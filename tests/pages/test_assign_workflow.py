"""Assign and star in one step, and taking a lead from another AM (issue 22, items 2 and 3), on
the pages, acting on a CRM of each test's own with the hand-built brokerage
(tests/etl/small_crm.py) at AS_OF (2026-03-10 12:00 UTC). No ETL runs after an action.

Hand-worked from small_crm.py: the All leads table lists Ben (row 0), Ana (1), Cara (2), Dan (3).
- 1 Ana Lima: Alan's (2), last assigned to him 03-10 09:30 (a failed deposit), one approved
  deposit credited to him: 1,000.00 BRL = 200.00 USD; not starred; version 1.
- 2 Ben Hall: Bea's (3), starred by Mia; version 1.
- 4 Dan Saleh: nobody's, conversion, not starred; version 1.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from crm.db import create_crm_engine
from tests.pages.conftest import captions
from tests.pages.test_actions import ALAN, BEA, MIA, audit, lead, select, shown, submit, toasts

ALL_LEADS = "pages/all_leads.py"
STAR_BOARD = "pages/star_board.py"


@pytest.fixture
def crm(writable_crm) -> Iterator[sa.Engine]:
    engine = create_crm_engine(writable_crm.url)
    yield engine
    engine.dispose()


def warnings(at) -> list[str]:
    return [warning.value for warning in at.warning]


def test_bulk_assign_with_star_now_puts_the_lead_on_the_ams_list_at_once(
    open_page, writable_crm, crm
):
    at = open_page(ALL_LEADS, writable_crm.warehouse, staff_id=MIA)
    select(at, "all_leads.table", 3)  # Dan
    # A bulk assignment is not urgent: off by default.
    assert at.checkbox(key="all_leads.assign.star").value is False
    at.selectbox(key="all_leads.assign.am").select(ALAN)
    at.checkbox(key="all_leads.assign.star").check()
    submit(at, "all_leads.assign").click().run()

    assert not at.error
    assert toasts(at) == [
        "1 lead assigned to Alan Ames (new lead), starred: on Alan Ames's list now."
    ]
    row = lead(crm, 4)
    assert (row["am_id"], row["is_starred"], row["starred_by_id"], row["version"]) == (
        ALAN,
        1,
        MIA,
        3,
    )
    assert [(entry["action"], entry["lead_id"]) for entry in audit(crm)] == [
        ("assign", 4),
        ("star", 4),
    ]
    # The star board shows Dan at once, before any ETL run.
    at.switch_page(STAR_BOARD).run()
    assert shown(at, "star.leads")["lead_name"].tolist() == ["Ben Hall", "Dan Saleh"]


def test_a_failed_deposit_review_stars_by_default(open_page, writable_crm):
    at = open_page("pages/failed_deposits.py", writable_crm.warehouse, staff_id=MIA)
    select(at, "failed_deposits.table", 0)
    assert at.checkbox(key="failed_deposits.review.star").value is True


def test_an_unstarred_owned_lead_says_it_is_not_on_its_ams_list(open_page, writable_crm):
    at = open_page(ALL_LEADS, writable_crm.warehouse, staff_id=MIA)
    select(at, "all_leads.table", 0, 1)  # Ben (starred) and Ana (not)
    at.selectbox(key="all_leads.assign.am").select(ALAN).run()
    assert "Ana Lima: assigned to Alan Ames, not on their list yet." in captions(at)
    assert "Ben Hall: assigned" not in captions(at)


def test_taking_a_depositing_lead_shows_its_owner_and_needs_reassign_with_a_note(
    open_page, writable_crm, crm
):
    at = open_page(ALL_LEADS, writable_crm.warehouse, staff_id=MIA)
    select(at, "all_leads.table", 1)  # Ana, Alan's
    at.selectbox(key="all_leads.assign.am").select(BEA).run()
    assert warnings(at) == [
        "Ana Lima is Alan Ames's since 10 Mar 2026, 1 deposit of 200.00 USD in all credited to "
        "Alan Ames.\n\nTaking 1 lead from Alan Ames: deposits made so far stay credited to Alan "
        "Ames; deposits from now on are credited to Bea Brook. It needs the reason "
        '"reassignment" and a note saying why.'
    ]
    assert at.text_input(key="all_leads.assign.note").label == "Note (why you take them)"
    # The default reason (new lead) does not take a lead from its AM: refused, nothing written.
    submit(at, "all_leads.assign").click().run()
    assert [error.value for error in at.error] == [
        "lead 1 is Alan Ames's since 10 Mar 2026, 1 deposit of 200.00 USD in all credited to "
        "Alan Ames: to take a lead from its AM, choose the reason reassignment and write a note "
        "saying why."
    ]
    assert (lead(crm, 1)["am_id"], lead(crm, 1)["version"]) == (ALAN, 1)
    assert audit(crm) == []

    at.selectbox(key="all_leads.assign.reason").select("reassignment")
    at.text_input(key="all_leads.assign.note").input("Alan is on leave this week")
    submit(at, "all_leads.assign").click().run()
    assert not at.error
    assert toasts(at) == [
        "1 lead assigned to Bea Brook (reassignment), not on Bea Brook's list yet: star it to "
        "put it there; taken from Alan Ames: deposits made so far stay credited to Alan Ames, "
        "deposits from now on are credited to Bea Brook."
    ]
    assert (lead(crm, 1)["am_id"], lead(crm, 1)["version"]) == (BEA, 2)


def test_a_live_assignment_from_online_advanced_stars_by_default(open_page, small_warehouse):
    at = open_page("pages/online_advanced.py", small_warehouse, now="2026-03-10T12:02:30+00:00")
    at.session_state["online_advanced.table"] = {"selection": {"rows": [0]}}  # Ana, online
    at.run()
    assert at.checkbox(key="online_advanced.assign.star").value is True
