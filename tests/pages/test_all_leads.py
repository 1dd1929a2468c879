"""The All leads page (F1) on the small hand-built CRM (tests/etl/small_crm.py), at AS_OF
(2026-03-10 12:00 UTC) unless a test pins another moment.

Hand-worked from small_crm.py (lead 5 is quarantined; ranks as in tests/etl/test_marts.py):
  Ben Hall    110  Bea's (Conversion A), follow_up, conversion, 0.00 USD, London
  Ana Lima    100  Alan's (Conversion A), contacted, conversion, 500.00 BRL = 100.00 USD, Sao Paulo
  Cara Vogel   65  Cid's (Retention B), retention, retention, 40.00 EUR = 44.00 USD, Berlin
  Dan Saleh    50  nobody's (a new lead), new, conversion, 0.00 USD, Dubai
Calling hours are the default 09:00-20:00 (the small CRM sets none).
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.pages.conftest import captions

PAGE = "pages/all_leads.py"


def names(at) -> list[str]:
    return at.dataframe[0].value["lead_name"].tolist()


def test_every_lead_ranked_with_its_context(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    assert not at.exception
    assert at.title[0].value == "All leads"
    assert names(at) == ["Ben Hall", "Ana Lima", "Cara Vogel", "Dan Saleh"]
    assert "4 leads" in captions(at)
    assert "data as of 12:00:00" in captions(at)
    table = at.dataframe[0].value.set_index("lead_name")
    assert table.loc["Ana Lima", "balance"] == "500.00 BRL"
    assert table.loc["Ana Lima", "balance_usd"] == pytest.approx(100.00)
    assert table.loc["Cara Vogel", "balance"] == "40.00 EUR"
    assert table.loc["Cara Vogel", "deposit_usd"] == pytest.approx(165.00)
    # People's words, not the stored value follow_up (issue 22, item 9).
    assert table.loc["Ben Hall", ["status", "desk", "am_name", "team_name"]].tolist() == [
        "follow-up",
        "conversion",
        "Bea Brook",
        "Conversion A",
    ]
    assert table.loc["Ben Hall", "priority_reasons"] == (
        "failed deposit 2026-03-09; high priority (upsale); callback due; logged in yesterday; "
        "new registration"
    )
    # Ben's latest contact is the "reach you" mail of 10:30; Dan was never contacted.
    assert table.loc["Ben Hall", "last_contacted_at"] == pd.Timestamp("2026-03-10 10:30", tz="UTC")
    assert pd.isna(table.loc["Dan Saleh", "last_contacted_at"])
    # Blank, not "None": nobody owns Dan yet.
    assert table.loc["Dan Saleh", ["am_name", "team_name"]].tolist() == ["", ""]


def test_local_time_and_calling_hours_at_the_moment_of_looking(open_page, small_warehouse):
    # 11:59 UTC: 08:59 in Sao Paulo (before 09:00), 11:59 London, 12:59 Berlin, 15:59 Dubai.
    at = open_page(PAGE, small_warehouse, now="2026-03-10T11:59:40+00:00")
    table = at.dataframe[0].value.set_index("lead_name")
    assert table["local_time"].to_dict() == {
        "Ben Hall": pd.Timestamp("2026-03-10 11:59"),
        "Ana Lima": pd.Timestamp("2026-03-10 08:59"),
        "Cara Vogel": pd.Timestamp("2026-03-10 12:59"),
        "Dan Saleh": pd.Timestamp("2026-03-10 15:59"),
    }
    assert table["inside_calling_hours"].to_dict() == {
        "Ben Hall": True,
        "Ana Lima": False,
        "Cara Vogel": True,
        "Dan Saleh": True,
    }
    # 16:00 UTC: 20:00 in Dubai is the end of its calling hours; 13:00 in Sao Paulo is inside.
    at = open_page(PAGE, small_warehouse, now="2026-03-10T16:00:00+00:00")
    table = at.dataframe[0].value.set_index("lead_name")
    assert table.loc["Dan Saleh", "local_time"] == pd.Timestamp("2026-03-10 20:00")
    assert not table.loc["Dan Saleh", "inside_calling_hours"]
    assert table.loc["Ana Lima", "inside_calling_hours"]


def test_times_in_the_viewers_zone(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse, time_zone="America/Sao_Paulo")
    table = at.dataframe[0].value.set_index("lead_name")
    # Registered 03-08 10:00 UTC = 07:00 in Sao Paulo (UTC-3); last login 11:50 UTC = 08:50.
    assert table.loc["Ana Lima", "registered_at"] == pd.Timestamp(
        "2026-03-08 07:00", tz="America/Sao_Paulo"
    )
    assert table.loc["Ana Lima", "last_login_at"].strftime("%H:%M") == "08:50"


@pytest.mark.parametrize(
    "key, choice, expected",
    [
        ("all_leads.team", "Conversion A", ["Ben Hall", "Ana Lima"]),
        ("all_leads.team", "Retention B", ["Cara Vogel"]),
        ("all_leads.am", "Alan Ames", ["Ana Lima"]),
        ("all_leads.desk", "retention", ["Cara Vogel"]),
        ("all_leads.desk", "conversion", ["Ben Hall", "Ana Lima", "Dan Saleh"]),
        ("all_leads.status", "follow_up", ["Ben Hall"]),
    ],
)
def test_filters(open_page, small_warehouse, key, choice, expected):
    at = open_page(PAGE, small_warehouse)
    at.selectbox(key=key).select(choice).run()
    assert not at.exception
    assert names(at) == expected
    assert f"{len(expected)} leads" in captions(at)


def test_search_by_name_or_by_email(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.text_input(key="all_leads.search").input("LIMA").run()
    assert names(at) == ["Ana Lima"]
    at.text_input(key="all_leads.search").input("dan@").run()
    assert names(at) == ["Dan Saleh"]
    # Without an @ only names are searched: no name holds "mail".
    at.text_input(key="all_leads.search").input("mail").run()
    assert not at.exception
    assert not at.dataframe
    assert at.info[0].value == "No leads match these filters."


def test_new_leads_are_the_ones_nobody_owns(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.toggle(key="all_leads.new").set_value(True).run()
    assert names(at) == ["Dan Saleh"]
    # The team filter does not hide a new lead: new leads have no team yet.
    at.selectbox(key="all_leads.team").select("Conversion A").run()
    assert names(at) == ["Dan Saleh"]
    assert "the team and AM filters do not apply" in captions(at)


def test_selected_rows_are_named_and_cleared_when_the_rows_change(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.session_state["all_leads.table"] = {"selection": {"rows": [0, 2]}}
    at.run()
    assert not at.exception
    assert "Selected: Ben Hall, Cara Vogel" in captions(at)
    at.selectbox(key="all_leads.desk").select("conversion").run()
    assert "Selected:" not in captions(at)


def test_csv_and_excel_export_under_the_table(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    assert len(at.get("download_button")) == 2


def test_empty_crm_says_what_the_page_shows_and_how_to_get_data(open_page, empty_warehouse):
    at = open_page(PAGE, empty_warehouse)
    assert not at.exception
    assert "Nothing to show yet: the warehouse holds no leads" in at.info[0].value
    assert "python -m crm demo" in at.markdown[0].value
    assert not at.dataframe


def test_missing_warehouse_says_how_to_build_it(open_page, tmp_path):
    at = open_page(PAGE, tmp_path / "nowhere.duckdb")
    assert not at.exception
    assert "run `python -m etl run` to build it" in at.info[0].value
