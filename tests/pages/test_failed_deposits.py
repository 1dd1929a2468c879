"""The Failed deposits page (F3) on the small hand-built CRM (tests/etl/small_crm.py), on
2026-03-10 (AS_OF 12:00 UTC).

Hand-worked declined attempts:
  #5  03-09 12:00  Ben Hall  300.00 USD = 300.00 USD  card, Nuvei,  "3-D Secure failed",
      Bea's (Conversion A); open: his only later assignment is a follow_up, his note is older
  #2  03-10 09:00  Ana Lima  250.00 BRL = 50.00 USD   card, Stripe, "insufficient funds",
      Alan's (Conversion A); reviewed: assigned as failed_deposit at 09:30
Open ones first: #5, then #2.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tests.pages.conftest import captions

PAGE = "pages/failed_deposits.py"


def deposits(at) -> list[int]:
    return at.dataframe[0].value["deposit_id"].tolist()


def test_declined_attempts_open_first(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    assert not at.exception
    assert at.title[0].value == "Failed deposits"
    assert deposits(at) == [5, 2]
    assert "2 declined deposits" in captions(at)
    table = at.dataframe[0].value.set_index("deposit_id")
    ben, ana = table.loc[5], table.loc[2]
    assert (ben["lead_name"], ben["decline_reason"], ben["provider"], ben["method"]) == (
        "Ben Hall",
        "3-D Secure failed",
        "Nuvei",
        "card",
    )
    assert (ben["amount"], ben["amount_usd"]) == ("300.00 USD", pytest.approx(300.00))
    assert (ana["amount"], ana["amount_usd"]) == ("250.00 BRL", pytest.approx(50.00))
    assert (ben["am_name"], ana["am_name"]) == ("Bea Brook", "Alan Ames")
    assert (bool(ben["is_reviewed"]), bool(ana["is_reviewed"])) == (False, True)
    assert ana["reviewed_at"] == pd.Timestamp("2026-03-10 09:30", tz="UTC")
    assert ben["created_at"] == pd.Timestamp("2026-03-09 12:00", tz="UTC")
    # 12:00 UTC: 12:00 in London, 09:00 in Sao Paulo (the first minute of the calling hours).
    assert ben["local_time"] == pd.Timestamp("2026-03-10 12:00")
    assert ana["local_time"] == pd.Timestamp("2026-03-10 09:00")
    assert bool(ana["inside_calling_hours"])
    assert ana["priority_reasons"] == "online now; failed deposit 2026-03-10; logged in today"
    assert ben["last_contacted_at"] == pd.Timestamp("2026-03-10 10:30", tz="UTC")


def test_date_range_and_open_only(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.selectbox(key="failed_deposits.range").select("Today").run()
    assert deposits(at) == [2]
    at.selectbox(key="failed_deposits.range").select("Yesterday").run()
    assert deposits(at) == [5]
    at.selectbox(key="failed_deposits.range").select("Custom").run()
    at.date_input(key="failed_deposits.range.custom").set_value(
        (date(2026, 3, 1), date(2026, 3, 10))
    ).run()
    assert deposits(at) == [5, 2]
    at.toggle(key="failed_deposits.open").set_value(True).run()
    assert deposits(at) == [5]


def test_team_and_am_of_the_lead(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.selectbox(key="failed_deposits.am").select("Alan Ames").run()
    assert deposits(at) == [2]
    at.selectbox(key="failed_deposits.am").select("All AMs").run()
    at.selectbox(key="failed_deposits.team").select("Retention B").run()
    assert not at.exception
    assert not at.dataframe
    assert at.info[0].value == "No declined deposits match these filters."


def test_times_in_the_viewers_zone_and_selection(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse, time_zone="Europe/Berlin")
    table = at.dataframe[0].value.set_index("deposit_id")
    assert table.loc[2, "created_at"].strftime("%Y-%m-%d %H:%M") == "2026-03-10 10:00"
    at.session_state["failed_deposits.table"] = {"selection": {"rows": [0]}}
    at.run()
    assert "Selected: Ben Hall" in captions(at)


def test_empty_crm(open_page, empty_warehouse):
    at = open_page(PAGE, empty_warehouse)
    assert not at.exception
    assert "Nothing to show yet: the warehouse holds no leads" in at.info[0].value
    assert "python -m crm demo" in at.markdown[0].value


def test_missing_warehouse_says_how_to_build_it(open_page, tmp_path):
    at = open_page(PAGE, tmp_path / "nowhere.duckdb")
    assert not at.exception
    assert "run `python -m etl run` to build it" in at.info[0].value
    assert not at.dataframe
