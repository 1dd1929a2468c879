"""The star board (F5) on the small hand-built CRM (tests/etl/small_crm.py).

Hand-worked: the only starred lead is 2 Ben Hall (GB, Europe/London), Bea Brook's (team 1
"Conversion A"), rank 110 ("failed deposit 2026-03-09; high priority (upsale); callback due;
logged in yesterday; new registration"), callback 03-10 18:00 UTC, last contacted 03-10 10:30 UTC
(the "reach you" mail). Calling hours: the default 09:00-20:00 of the lead's own day.
London is on UTC until 2026-03-29, then on UTC+1.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from tests.pages.conftest import captions

PAGE = "pages/star_board.py"


def test_starred_leads_per_am_with_local_time_and_calling_hours(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)  # now: 03-10 12:00 UTC, 12:00 in London
    assert not at.exception
    assert at.title[0].value == "Star board"
    per_am = at.dataframe[0].value
    assert per_am.to_dict("records") == [
        {
            "am_name": "Bea Brook",
            "team_name": "Conversion A",
            "starred": 1,
            "callable_now": 1,
            "callbacks_due": 1,
        }
    ]
    leads = at.dataframe(key="star.leads").value
    assert leads["lead_name"].tolist() == ["Ben Hall"]
    ben = leads.iloc[0]
    assert (ben["am_name"], ben["country"], ben["time_zone"]) == (
        "Bea Brook",
        "GB",
        "Europe/London",
    )
    assert ben["local_time"] == pd.Timestamp("2026-03-10 12:00")
    assert bool(ben["inside_calling_hours"]) is True
    assert ben["callback_local"] == pd.Timestamp("2026-03-10 18:00")
    assert ben["last_contacted_at"] == pd.Timestamp("2026-03-10 10:30", tz="UTC")
    assert ben["priority_score"] == 110
    assert ben["priority_reasons"] == (
        "failed deposit 2026-03-09; high priority (upsale); callback due; logged in yesterday; "
        "new registration"
    )
    assert "calling hours 09:00-20:00 of each lead's own day" in captions(at)
    assert [button.label for button in at.get("download_button")] == [
        "Export CSV",
        "Export Excel",
    ]


def test_calling_hours_follow_the_leads_own_clock(open_page, small_warehouse):
    # 21:30 UTC is 21:30 in London: past 20:00.
    at = open_page(PAGE, small_warehouse, now="2026-03-10T21:30:00")
    assert not at.exception
    assert at.dataframe[0].value["callable_now"].tolist() == [0]
    ben = at.dataframe(key="star.leads").value.iloc[0]
    assert ben["local_time"] == pd.Timestamp("2026-03-10 21:30")
    assert bool(ben["inside_calling_hours"]) is False
    # After the clocks change, 08:30 UTC is 09:30 in London: inside the hours (in UTC it is not).
    at = open_page(PAGE, small_warehouse, now="2026-03-30T08:30:00")
    ben = at.dataframe(key="star.leads").value.iloc[0]
    assert ben["local_time"] == pd.Timestamp("2026-03-30 09:30")
    assert bool(ben["inside_calling_hours"]) is True


def test_last_contact_in_the_viewers_time_zone(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse, time_zone="America/Sao_Paulo")
    ben = at.dataframe(key="star.leads").value.iloc[0]
    # 10:30 UTC is 07:30 in São Paulo (UTC-3); the lead's own times stay in London time.
    assert ben["last_contacted_at"].tz_localize(None) == datetime(2026, 3, 10, 7, 30)
    assert str(ben["last_contacted_at"].tz) == "America/Sao_Paulo"
    assert ben["local_time"] == pd.Timestamp("2026-03-10 12:00")


def test_team_and_am_filters(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.selectbox(key="star.team").select("Conversion A").run()
    assert at.dataframe[0].value["am_name"].tolist() == ["Bea Brook"]
    at.selectbox(key="star.am").select("Alan Ames").run()
    assert not at.exception
    # Alan has no starred lead.
    assert "Nothing to show yet" in at.info[0].value
    assert not at.dataframe
    at.selectbox(key="star.am").select("Bea Brook").run()
    assert at.dataframe(key="star.leads").value["lead_name"].tolist() == ["Ben Hall"]
    at.selectbox(key="star.am").select("All AMs").run()
    at.selectbox(key="star.team").select("Retention B").run()
    assert "Nothing to show yet" in at.info[0].value


def test_empty_crm_says_what_the_page_shows_and_how_to_get_data(open_page, empty_warehouse):
    at = open_page(PAGE, empty_warehouse)
    assert not at.exception
    assert "Nothing to show yet" in at.info[0].value
    assert "starred leads" in at.info[0].value
    assert "python -m crm demo" in at.markdown[0].value
    assert "data as of 12:00:00" in captions(at)
