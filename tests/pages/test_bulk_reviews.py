"""Bulk reviews (issue 22, item 7) on the deposit pages, with the hand-built CRM
(tests/etl/small_crm.py) at AS_OF. Failed deposits lists deposit 5 (Ben's, Bea's, 3-D Secure
failed, open) then deposit 2 (Ana's, Alan's, insufficient funds, reviewed 09:30). New deposits
on AM-owned accounts lists deposit 1 (Ana's FTD, 200.00 USD, Alan's, not on the board) then
deposit 4 (Cara's 55.00 USD, Cid's, on his board since 10:00)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from crm.db import create_crm_engine
from tests.pages.test_actions import ALAN, BEA, MIA, all_rows, audit, lead, select, submit, toasts


@pytest.fixture
def crm(writable_crm) -> Iterator[sa.Engine]:
    engine = create_crm_engine(writable_crm.url)
    yield engine
    engine.dispose()


def test_two_failed_deposits_assigned_in_one_go_each_to_its_am(open_page, writable_crm, crm):
    at = open_page("pages/failed_deposits.py", writable_crm.warehouse, staff_id=MIA)
    select(at, "failed_deposits.table", 0, 1)
    preview = at.dataframe[1].value  # under the table: the preview
    assert preview[["deposit_id", "lead_name", "decline_reason", "to"]].values.tolist() == [
        [5, "Ben Hall", "3-D Secure failed", "Bea Brook"],
        [2, "Ana Lima", "insufficient funds", "Alan Ames"],
    ]
    assert at.checkbox(key="failed_deposits.review.bulk.star").value is True
    at.text_area(key="failed_deposits.review.bulk.note").input("Call before 18:00.")
    submit(at, "failed_deposits.review.bulk").click().run()

    assert not at.error
    assert toasts(at) == [
        "2 failed deposits assigned with their decline reasons (Alan Ames 1, Bea Brook 1); "
        "starred: on their AMs' lists now."
    ]
    assert all_rows(
        crm, "select lead_id, to_am_id, note from assignments where id > 5 order by lead_id"
    ) == [
        {
            "lead_id": 1,
            "to_am_id": ALAN,
            "note": "Deposit of 250.00 BRL by card (Stripe) declined: insufficient funds. "
            "Call before 18:00.",
        },
        {
            "lead_id": 2,
            "to_am_id": BEA,
            "note": "Deposit of 300.00 USD by card (Nuvei) declined: 3-D Secure failed. "
            "Call before 18:00.",
        },
    ]
    # Ana was not starred: assigned and starred (version 3); Ben was: assigned only.
    assert (lead(crm, 1)["is_starred"], lead(crm, 1)["version"]) == (1, 3)
    assert (lead(crm, 2)["is_starred"], lead(crm, 2)["version"]) == (1, 2)
    assert at.session_state["failed_deposits.table"]["selection"]["rows"] == []


def test_owned_deposits_in_one_go_are_refused_whole_when_one_is_on_the_board(
    open_page, writable_crm, crm
):
    at = open_page("pages/new_deposits.py", writable_crm.warehouse, staff_id=MIA)
    at.radio(key="new_deposits.kind").set_value("On AM-owned accounts (target board)").run()
    select(at, "new_deposits.owned", 0, 1)
    preview = at.dataframe[1].value  # under the table: the preview
    assert preview[["deposit_id", "lead_name", "credited_am_name"]].values.tolist() == [
        [1, "Ana Lima", "Alan Ames"],
        [4, "Cara Vogel", "Cid Cole"],
    ]
    submit(at, "new_deposits.owned.review.bulk").click().run()
    assert [error.value for error in at.error] == [
        "deposit 4 is already on Cid Cole's target board (since 2026-03-10 10:00 UTC)."
    ]
    assert audit(crm) == []
    assert all_rows(crm, "select count(*) as n from target_board_entries") == [{"n": 1}]


def test_the_preview_shows_each_note_and_a_deposit_takes_words_of_its_own(
    open_page, writable_crm, crm
):
    at = open_page("pages/failed_deposits.py", writable_crm.warehouse, staff_id=MIA)
    select(at, "failed_deposits.table", 0, 1)
    at.text_area(key="failed_deposits.review.bulk.note").input("Call before 18:00.")
    at.text_input(key="failed_deposits.review.bulk.words.2").input("Offer a smaller first deposit.")
    at.run()
    preview = at.dataframe[1].value
    assert preview[["deposit_id", "starred", "note"]].values.tolist() == [
        [
            5,
            True,
            "Deposit of 300.00 USD by card (Nuvei) declined: 3-D Secure failed. Call before 18:00.",
        ],
        [
            2,
            True,
            "Deposit of 250.00 BRL by card (Stripe) declined: insufficient funds. Offer a smaller "
            "first deposit.",
        ],
    ]
    submit(at, "failed_deposits.review.bulk").click().run()

    assert not at.error
    # What the preview said is what the CRM wrote.
    assert all_rows(crm, "select lead_id, note from assignments where id > 5 order by lead_id") == [
        {"lead_id": 1, "note": preview["note"].iloc[1]},
        {"lead_id": 2, "note": preview["note"].iloc[0]},
    ]
