"""The New deposits page (F4) on the small hand-built CRM (tests/etl/small_crm.py), on
2026-03-10 (AS_OF 12:00 UTC).

Hand-worked approved deposits:
  #3  02-03 10:00  Cara Vogel  100.00 EUR = 110.00 USD  FTD, wire, a self deposit (not yet
      assigned for upsale); Cid's lead
  #1  03-09 15:00  Ana Lima    1,000.00 BRL = 200.00 USD  FTD, card, Stripe, credited to Alan
      (his lead), not on the target board
  #4  03-10 09:30  Cara Vogel  50.00 EUR = 55.00 USD  e_wallet, Skrill, credited to Cid, on his
      target board
Deposits 6 and 7 (Dan) were quarantined.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tests.pages.conftest import captions

PAGE = "pages/new_deposits.py"
OWNED = "On AM-owned accounts (target board)"


def deposits(at) -> list[int]:
    return at.dataframe[0].value["deposit_id"].tolist()


def test_no_self_deposit_in_the_last_7_days(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    assert not at.exception
    assert at.title[0].value == "New deposits"
    assert at.radio(key="new_deposits.kind").value == "Self deposits (upsale)"
    assert not at.dataframe
    assert at.info[0].value == "No deposits match these filters."


def test_deposits_on_am_owned_accounts_not_on_the_board_first(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.radio(key="new_deposits.kind").set_value(OWNED).run()
    assert not at.exception
    assert deposits(at) == [1, 4]
    table = at.dataframe[0].value.set_index("deposit_id")
    assert table.loc[1, ["lead_name", "amount", "credited_am_name"]].tolist() == [
        "Ana Lima",
        "1,000.00 BRL",
        "Alan Ames",
    ]
    assert table.loc[1, "amount_usd"] == pytest.approx(200.00)
    assert (bool(table.loc[1, "on_target_board"]), bool(table.loc[4, "on_target_board"])) == (
        False,
        True,
    )
    assert (bool(table.loc[1, "is_ftd"]), bool(table.loc[4, "is_ftd"])) == (True, False)
    assert table.loc[4, ["amount", "provider", "method"]].tolist() == [
        "50.00 EUR",
        "Skrill",
        "e-wallet",
    ]
    assert table.loc[4, "created_at"] == pd.Timestamp("2026-03-10 09:30", tz="UTC")
    assert "2 deposits" in captions(at)
    at.selectbox(key="new_deposits.team").select("Retention B").run()
    assert deposits(at) == [4]


def test_self_deposits_over_a_custom_range(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse, now="2026-03-10T20:00:00+00:00")
    at.selectbox(key="new_deposits.range").select("Custom").run()
    at.date_input(key="new_deposits.range.custom").set_value(
        (date(2026, 2, 1), date(2026, 3, 10))
    ).run()
    assert not at.exception
    assert deposits(at) == [3]
    cara = at.dataframe[0].value.iloc[0]
    assert (cara["lead_name"], cara["amount"], cara["amount_usd"]) == (
        "Cara Vogel",
        "100.00 EUR",
        110.0,
    )
    assert not cara["is_upsale_assigned"]
    assert cara["am_name"] == "Cid Cole"
    # 20:00 UTC is 21:00 in Berlin: after the calling hours.
    assert cara["local_time"] == pd.Timestamp("2026-03-10 21:00")
    assert not cara["inside_calling_hours"]
    at.session_state["new_deposits.self"] = {"selection": {"rows": [0]}}
    at.run()
    assert "Selected: Cara Vogel" in captions(at)


def test_empty_crm(open_page, empty_warehouse):
    at = open_page(PAGE, empty_warehouse)
    assert not at.exception
    assert "Nothing to show yet: the warehouse holds no leads" in at.info[0].value


def test_missing_warehouse_says_how_to_build_it(open_page, tmp_path):
    at = open_page(PAGE, tmp_path / "nowhere.duckdb")
    assert not at.exception
    assert "run `python -m etl run` to build it" in at.info[0].value
    assert not at.dataframe
