"""The log report (F10) on the small hand-built CRM (tests/etl/small_crm.py), on 2026-03-10.

Hand-worked activity per AM and UTC day (the welcome mails are nobody's work; an e-mail is the
work of the lead's owner when it was sent; an assignment is counted for the AM who received it):
  02-05  Cid: assignment (Cara, retention, by Mia)
  03-08  Alan: call connected (Ana); assignment (Ana, new lead, by Mia)
  03-09  Alan: call connected (Ana);  Bea: call no answer (Ben), note (Ben), assignment (Ben)
  03-10  Alan: call voicemail (Ana), assignment (Ana, failed deposit, by Mia)
         Bea: call busy 10:00, assignment 10:01 (follow-up, by Bea), "reach you" e-mail 10:30
         Cid: call connected (Cara)
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from tests.pages.conftest import metrics

PAGE = "pages/log_report.py"


def test_last_7_days_per_am_per_day(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    assert not at.exception
    assert at.title[0].value == "Log report"
    # 03-04..03-10 against 02-25..03-03 (nothing then).
    assert metrics(at) == {
        "Calls": ("6", "+6"),
        "Connected calls": ("3", "+3"),
        "E-mails": ("1", "+1"),
        "Notes": ("1", "+1"),
        "Assignments": ("4", "+4"),
    }
    table = at.dataframe[0].value
    assert len(table) == 3 * 7  # every AM every day, quiet days with zeros
    by_day = table.set_index(["day", "am_name"])
    columns = ["calls", "connected_calls", "emails", "notes", "assignments"]
    assert by_day.loc[(date(2026, 3, 10), "Bea Brook"), columns].tolist() == [1, 0, 1, 0, 1]
    assert by_day.loc[(date(2026, 3, 9), "Bea Brook"), columns].tolist() == [1, 0, 0, 1, 1]
    assert by_day.loc[(date(2026, 3, 8), "Alan Ames"), columns].tolist() == [1, 1, 0, 0, 1]
    assert by_day.loc[(date(2026, 3, 10), "Cid Cole"), columns].tolist() == [1, 1, 0, 0, 0]
    assert by_day.loc[(date(2026, 3, 5), "Cid Cole"), columns].tolist() == [0, 0, 0, 0, 0]
    assert table.iloc[0]["day"] == date(2026, 3, 10)  # newest first
    assert "Choose an AM above" in at.caption[-1].value


def test_team_and_range_filters(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.selectbox(key="log.team").select("Retention B").run()
    assert metrics(at)["Calls"] == ("1", "+1")
    assert metrics(at)["Assignments"] == ("0", "0")
    assert set(at.dataframe[0].value["am_name"]) == {"Cid Cole"}
    at.selectbox(key="log.range").select("Custom").run()
    at.date_input(key="log.range.custom").set_value((date(2026, 2, 1), date(2026, 3, 10))).run()
    # Cid's retention assignment of 02-05 is in now.
    assert metrics(at)["Assignments"] == ("1", "+1")
    at.selectbox(key="log.team").select("All teams").run()
    assert metrics(at)["Assignments"] == ("5", "+5")
    # The mart starts on 02-05, the first day with activity: 34 days of 3 AMs.
    assert len(at.dataframe[0].value) == 3 * 34
    assert not at.exception


def test_one_ams_events_of_a_day(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.selectbox(key="log.am").select("Bea Brook").run()
    assert metrics(at) == {
        "Calls": ("2", "+2"),
        "Connected calls": ("0", "0"),
        "E-mails": ("1", "+1"),
        "Notes": ("1", "+1"),
        "Assignments": ("2", "+2"),
    }
    assert at.selectbox(key="log.day").value == date(2026, 3, 10)
    # Newest first.
    events = at.dataframe[1].value
    assert events["kind"].tolist() == ["email", "assignment", "call"]
    assert events["summary"].tolist() == [
        "e-mail sent: reach you",
        "assigned: follow-up by Bea Brook",
        "busy",
    ]
    assert events["lead_name"].tolist() == ["Ben Hall"] * 3
    assert events["occurred_at"].tolist() == [
        pd.Timestamp(f"2026-03-10 {t}", tz="UTC") for t in ("10:30", "10:01", "10:00")
    ]
    at.selectbox(key="log.day").select(date(2026, 3, 9)).run()
    events = at.dataframe[1].value
    assert events["summary"].tolist() == [
        "call back after work",
        "no answer",
        "assigned: new lead by Mia Manager",
    ]
    assert events["kind"].tolist() == ["note", "call", "assignment"]
    at.selectbox(key="log.day").select(date(2026, 3, 8)).run()
    assert "Bea Brook has no call, e-mail, note or assignment on 2026-03-08" in at.info[0].value
    assert not at.exception


def test_event_times_in_the_viewers_time_zone(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse, time_zone="America/Sao_Paulo")
    at.selectbox(key="log.am").select("Alan Ames").run()
    events = at.dataframe[1].value
    assert events["summary"].tolist() == ["assigned: failed deposit by Mia Manager", "voicemail"]
    # 09:30 and 08:00 UTC are 06:30 and 05:00 in São Paulo (UTC-3).
    assert [t.strftime("%H:%M") for t in events["occurred_at"]] == ["06:30", "05:00"]


def test_empty_crm_says_what_the_page_shows_and_how_to_get_data(open_page, empty_warehouse):
    at = open_page(PAGE, empty_warehouse)
    assert not at.exception
    assert "Nothing to show yet" in at.info[0].value
    assert "e-mails, notes and assignments" in at.info[0].value
    assert "python -m crm demo" in at.markdown[0].value
    assert not at.metric


def test_an_assignments_note_is_in_its_line(open_page, migrated_sqlite_template, tmp_path):
    """The note a manager writes when assigning (a failed deposit's decline) is what the AM
    acts on: the log report shows it with the assignment (issue 22, item 9)."""
    import sqlalchemy as sa

    from tests.pages.conftest import build_warehouse

    def note_on_anas_failed_deposit(engine: sa.Engine) -> None:
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE assignments SET note = :note WHERE id = 5"),
                {"note": "declined:   insufficient funds\n offer a smaller first deposit"},
            )

    warehouse = build_warehouse(
        migrated_sqlite_template, tmp_path / "noted", True, note_on_anas_failed_deposit
    )
    at = open_page(PAGE, warehouse)
    at.selectbox(key="log.am").select("Alan Ames").run()

    events = at.dataframe[1].value
    assert events["summary"].tolist() == [
        "assigned: failed deposit by Mia Manager; note: declined: insufficient funds offer a "
        "smaller first deposit",
        "voicemail",
    ]
