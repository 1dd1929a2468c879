"""The Last logged in page (F7, F8) on the small hand-built CRM (tests/etl/small_crm.py), run
at AS_OF (2026-03-10 12:00 UTC).

Hand-worked last logins (lead 5 is quarantined):
  Ana Lima    03-10 11:50  today      conversion, FTD, 100.00 USD balance (not below 100)
  Dan Saleh   03-10 09:31  today      conversion, no FTD, no deposit
  Cara Vogel  03-09 20:00  yesterday  retention, came back after 27 days, 44.00 USD (low)
  Ben Hall    03-09 09:05  yesterday  conversion, no FTD
Recent, last 7 days: today's Ana then Dan (latest first), then yesterday's Cara (a comeback)
before Ben. Old conversion leads (conversion, no FTD): Ben (1 day ago) and Dan (today).
Retention: Cara alone.
"""

from __future__ import annotations

import pandas as pd

from tests.pages.conftest import captions

PAGE = "pages/last_logged_in.py"


def names(at) -> list[str]:
    return at.dataframe[0].value["lead_name"].tolist()


def test_recent_logins_comebacks_first_within_a_day(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    assert not at.exception
    assert at.title[0].value == "Last logged in"
    assert names(at) == ["Ana Lima", "Dan Saleh", "Cara Vogel", "Ben Hall"]
    table = at.dataframe[0].value.set_index("lead_name")
    assert table.loc["Cara Vogel", "came_back_after_days"] == 27
    assert table.loc["Cara Vogel", "last_login_at"] == pd.Timestamp("2026-03-09 20:00", tz="UTC")
    assert table.loc["Cara Vogel", "priority_reasons"] == (
        "came back after 27 days away; logged in yesterday; low balance"
    )
    # 12:00 UTC is 13:00 in Berlin: inside the calling hours.
    assert table.loc["Cara Vogel", "local_time"] == pd.Timestamp("2026-03-10 13:00")
    assert table.loc["Cara Vogel", "inside_calling_hours"]
    at.selectbox(key="last_logged_in.within").select("Today").run()
    assert names(at) == ["Ana Lima", "Dan Saleh"]


def test_recent_logins_of_one_team(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.selectbox(key="last_logged_in.team").select("Conversion A").run()
    assert names(at) == ["Ana Lima", "Ben Hall"]
    at.selectbox(key="last_logged_in.am").select("Bea Brook").run()
    assert names(at) == ["Ben Hall"]


def test_old_conversion_leads(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.radio(key="last_logged_in.view").set_value("Old conversion leads").run()
    assert not at.exception
    # Nobody without an FTD has been away 30 days.
    assert not at.dataframe
    assert at.info[0].value == "No leads match these filters."
    at.number_input(key="last_logged_in.days").set_value(1).run()
    assert names(at) == ["Ben Hall"]
    assert "1 leads" in captions(at)


def test_retention_opportunities(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse, now="2026-03-10T07:30:00+00:00")
    at.radio(key="last_logged_in.view").set_value("Retention opportunities").run()
    assert names(at) == ["Cara Vogel"]
    # 07:30 UTC is 08:30 in Berlin: before the calling hours.
    cara = at.dataframe[0].value.iloc[0]
    assert cara["local_time"] == pd.Timestamp("2026-03-10 08:30")
    assert not cara["inside_calling_hours"]
    at.selectbox(key="last_logged_in.team").select("Conversion A").run()
    assert not at.dataframe


def test_selection_is_per_list(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.session_state["last_logged_in.recent"] = {"selection": {"rows": [2]}}
    at.run()
    assert "Selected: Cara Vogel" in captions(at)


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
