"""The sales dashboard (F9) on the small hand-built CRM (tests/etl/small_crm.py), on 2026-03-10.

Hand-worked from small_crm.py (calls and approved deposits attributed to AMs, by UTC day):
  03-08  Alan: call connected
  03-09  Alan: call connected, FTD 1,000.00 BRL = 200.00 USD;  Bea: call no answer
  03-10  Alan: call voicemail;  Bea: call busy;  Cid: call connected, deposit 50.00 EUR = 55.00 USD
  02-03  Cid: FTD 100.00 EUR = 110.00 USD
  (call 7 on 03-11 is in the future and quarantined)
Team 1 "Conversion A" is Alan and Bea; team 2 "Retention B" is Cid.
"""

from __future__ import annotations

from datetime import date

from tests.pages.conftest import captions, metrics

PAGE = "pages/sales_dashboard.py"


def tiles(at) -> dict[str, tuple[str, str]]:
    shown = metrics(at)
    return {label: shown[label] for label in shown}


def days_table(at):
    """The per-AM table of the chosen days (below today's "who is behind")."""
    return next(frame.value for frame in at.dataframe if "failed_deposits" in frame.value.columns)


def test_last_7_days_all_teams_by_default(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    assert not at.exception
    assert at.title[0].value == "Sales dashboard"
    assert at.selectbox(key="sales.range").value == "Last 7 days"
    # 03-04..03-10 against 03-25..03-03 (nothing happened then: no call ratio to compare).
    assert tiles(at) == {
        "Calls": ("6", "+6"),
        "Connected calls": ("3", "+3"),
        "Call ratio": ("50.0 %", ""),
        "Deposits": ("2", "+2"),
        "Deposit USD": ("255.00", "+255.00 USD"),
        "FTDs": ("1", "+1"),
    }
    table = days_table(at)
    assert table["am_name"].tolist() == ["Alan Ames", "Cid Cole", "Bea Brook"]
    by_am = table.set_index("am_name")
    assert by_am.loc["Alan Ames", ["calls", "connected_calls", "deposits", "ftds"]].tolist() == [
        3,
        2,
        1,
        1,
    ]
    # People read words: a ratio in %, talk in hours and minutes, USD labelled.
    assert by_am.loc["Alan Ames", "call_ratio"] == "66.7 %"
    assert by_am.loc["Alan Ames", "deposit_usd"] == "200.00 USD"
    assert by_am.loc["Bea Brook", "talk_seconds"] == "0 min"
    assert by_am.loc["Bea Brook", ["calls", "connected_calls", "deposits"]].tolist() == [2, 0, 0]
    assert by_am.loc["Cid Cole", "deposit_usd"] == "55.00 USD"
    assert "2026-03-04 – 2026-03-10 (UTC days) · against 2026-02-25 – 2026-03-03" in captions(at)


def test_team_filter_keeps_only_that_teams_ams(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.selectbox(key="sales.team").select("Conversion A").run()
    assert not at.exception
    # Cid (Retention B) is out: his call and his 55.00 USD.
    assert tiles(at) == {
        "Calls": ("5", "+5"),
        "Connected calls": ("2", "+2"),
        "Call ratio": ("40.0 %", ""),
        "Deposits": ("1", "+1"),
        "Deposit USD": ("200.00", "+200.00 USD"),
        "FTDs": ("1", "+1"),
    }
    assert days_table(at)["am_name"].tolist() == [
        "Alan Ames",
        "Bea Brook",
    ]


def test_today_so_far_against_yesterday_to_the_same_minute(open_page, small_warehouse):
    """At 12:00 on 03-10, today so far (3 calls, Cid's connected, his 55.00) is compared with
    03-09 to 12:00: Bea's unanswered call of 10:00 only (Alan's call at 14:00 and his FTD at
    15:00 come later). Against the whole of 03-09 it would be calls +1, -145.00 USD, FTDs -1."""
    at = open_page(PAGE, small_warehouse)
    at.selectbox(key="sales.range").select("Today").run()
    assert not at.exception
    assert tiles(at) == {
        "Calls": ("3", "+2"),
        "Connected calls": ("1", "+1"),
        "Call ratio": ("33.3 %", "+33.3 pp"),
        "Deposits": ("1", "+1"),
        "Deposit USD": ("55.00", "+55.00 USD"),
        "FTDs": ("0", "0"),
    }
    assert "These days so far, to 12:00 UTC, against 2026-03-09 to the same minute" in captions(at)
    at.selectbox(key="sales.team").select("Retention B").run()
    assert tiles(at)["Calls"] == ("1", "+1")
    assert tiles(at)["Call ratio"] == ("100.0 %", "")
    assert tiles(at)["Deposit USD"] == ("55.00", "+55.00 USD")


def test_today_at_ten_against_yesterday_at_ten(open_page, ftd_warehouse):
    """The FTD cases (tests/etl/ftd_crm.py) at 10:00: today Alan's voicemail (08:00), Cid's
    connected call (09:00); credited deposits Cara's 22.00 (approved 00:10) and 55.00 (09:30)
    to Cid, Ben's 60.00 FTD (07:00) to Bea. Yesterday to 10:00: nothing (Bea's call is at
    10:00 itself). Dan's 40.00 at 11:00 is credited to no AM: the caption's own line."""
    at = open_page(PAGE, ftd_warehouse, now="2026-03-10T10:00:00+00:00")
    at.selectbox(key="sales.range").select("Today").run()
    assert not at.exception
    assert tiles(at) == {
        "Calls": ("2", "+2"),
        "Connected calls": ("1", "+1"),
        "Call ratio": ("50.0 %", ""),
        "Deposits": ("3", "+3"),
        "Deposit USD": ("137.00", "+137.00 USD"),
        "FTDs": ("1", "+1"),
    }
    assert "Not credited to an AM (no owning AM), left out above" in captions(at)
    assert "1 deposit, 40.00 USD, 1 FTD." in captions(at)


def test_yesterday_and_last_30_days(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.selectbox(key="sales.range").select("Yesterday").run()
    # 03-09 against 03-08 (Alan's one connected call).
    assert tiles(at)["Calls"] == ("2", "+1")
    assert tiles(at)["Call ratio"] == ("50.0 %", "-50.0 pp")
    assert tiles(at)["Deposit USD"] == ("200.00", "+200.00 USD")
    at.selectbox(key="sales.range").select("Last 30 days").run()
    assert not at.exception
    # 02-09..03-10 against 01-10..02-08, which holds Cid's 110.00 USD FTD of 02-03.
    assert tiles(at) == {
        "Calls": ("6", "+6"),
        "Connected calls": ("3", "+3"),
        "Call ratio": ("50.0 %", ""),
        "Deposits": ("2", "+1"),
        "Deposit USD": ("255.00", "+145.00 USD"),
        "FTDs": ("1", "0"),
    }


def test_custom_range(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.selectbox(key="sales.range").select("Custom").run()
    at.date_input(key="sales.range.custom").set_value((date(2026, 3, 8), date(2026, 3, 9))).run()
    assert not at.exception
    # 03-08..03-09: Alan's two connected calls, Bea's unanswered one; Alan's 200.00 FTD.
    assert tiles(at) == {
        "Calls": ("3", "+3"),
        "Connected calls": ("2", "+2"),
        "Call ratio": ("66.7 %", ""),
        "Deposits": ("1", "+1"),
        "Deposit USD": ("200.00", "+200.00 USD"),
        "FTDs": ("1", "+1"),
    }
    at.date_input(key="sales.range.custom").set_value((date(2026, 2, 1), date(2026, 3, 10))).run()
    assert tiles(at)["Deposit USD"] == ("365.00", "+365.00 USD")
    assert tiles(at)["FTDs"] == ("2", "+2")


def test_freshness_line_in_the_viewers_time_zone(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    assert "data as of 12:00:00 (" in captions(at)
    assert "s ago) · times in UTC; reporting days are UTC dates" in captions(at)
    at = open_page(PAGE, small_warehouse, time_zone="America/Sao_Paulo")
    assert "data as of 09:00:00 (" in captions(at)  # UTC-3


def test_missing_warehouse_says_how_to_build_it(open_page, tmp_path):
    at = open_page(PAGE, tmp_path / "nowhere.duckdb")
    assert not at.exception
    assert len(at.info) == 1
    assert "run `python -m etl run` to build it" in at.info[0].value
    assert not at.metric


def test_empty_crm_says_what_the_page_shows_and_how_to_get_data(open_page, empty_warehouse):
    at = open_page(PAGE, empty_warehouse)
    assert not at.exception
    assert "Nothing to show yet" in at.info[0].value
    assert "python -m crm demo" in at.markdown[0].value
    assert "data as of 12:00:00" in captions(at)
    assert not at.metric


# ---------------------------------------------------------------- AM filter and funnel (pages-b)
# Funnel, hand-worked: leads 1 Ana (reg 03-08, Alan, first call 03-08 11:00, FTD 03-09 15:00),
# 2 Ben (reg 03-09, Bea, first call 03-09 10:00, no FTD), 3 Cara (reg 02-01, Cid, first call
# 03-10 09:00, FTD 02-03: a self deposit before any contact), 4 Dan (reg 03-10, nobody's, never
# contacted). A stage counts by the end of the period's last day, and only leads of the stage
# before.


def test_am_filter_narrows_every_figure_to_that_am(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.selectbox(key="sales.am").select("Alan Ames").run()
    assert not at.exception
    # Alan, 03-04..03-10: calls 03-08 (connected), 03-09 (connected), 03-10 (voicemail);
    # the 200.00 USD FTD of 03-09. Nothing in the week before.
    assert tiles(at) == {
        "Calls": ("3", "+3"),
        "Connected calls": ("2", "+2"),
        "Call ratio": ("66.7 %", ""),
        "Deposits": ("1", "+1"),
        "Deposit USD": ("200.00", "+200.00 USD"),
        "FTDs": ("1", "+1"),
    }
    assert days_table(at)["am_name"].tolist() == ["Alan Ames"]
    assert "1 registered → 1 contacted (100.0 %) → 1 FTD (100.0 % of contacted)" in captions(at)
    at.selectbox(key="sales.am").select("Bea Brook").run()
    assert tiles(at)["Calls"] == ("2", "+2")
    assert tiles(at)["Call ratio"] == ("0.0 %", "")
    assert tiles(at)["Deposit USD"] == ("0.00", "0")
    assert days_table(at)["am_name"].tolist() == ["Bea Brook"]
    assert "1 registered → 1 contacted (100.0 %) → 0 FTD (0.0 % of contacted)" in captions(at)


def test_am_filter_offers_the_chosen_teams_ams(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    assert at.selectbox(key="sales.am").options == ["All AMs", "Alan Ames", "Bea Brook", "Cid Cole"]
    at.selectbox(key="sales.team").select("Retention B").run()
    assert at.selectbox(key="sales.am").options == ["All AMs", "Cid Cole"]
    at.selectbox(key="sales.am").select("Cid Cole").run()
    assert tiles(at)["Deposit USD"] == ("55.00", "+55.00 USD")
    # Cara registered on 02-01, outside the last 7 days.
    assert "0 registered → 0 contacted (–) → 0 FTD (– of contacted)" in captions(at)


def test_funnel_for_the_period_and_team(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    # 03-04..03-10: Ana, Ben, Dan registered; Ana and Ben contacted; Ana's FTD.
    assert "3 registered → 2 contacted (66.7 %) → 1 FTD (50.0 % of contacted)" in captions(at)
    at.selectbox(key="sales.team").select("Conversion A").run()
    # Dan is nobody's: only the floor as a whole counts him.
    assert "2 registered → 2 contacted (100.0 %) → 1 FTD (50.0 % of contacted)" in captions(at)
    at.selectbox(key="sales.team").select("All teams").run()
    at.selectbox(key="sales.range").select("Custom").run()
    at.date_input(key="sales.range.custom").set_value((date(2026, 3, 8), date(2026, 3, 8))).run()
    # Ana was called on 03-08 but made her FTD on 03-09, after the period.
    assert "1 registered → 1 contacted (100.0 %) → 0 FTD (0.0 % of contacted)" in captions(at)
    at.date_input(key="sales.range.custom").set_value((date(2026, 2, 1), date(2026, 3, 10))).run()
    # Cara's FTD (02-03) counts: she was contacted by 03-10.
    assert "4 registered → 3 contacted (75.0 %) → 2 FTD (66.7 % of contacted)" in captions(at)
    at.date_input(key="sales.range.custom").set_value((date(2026, 2, 1), date(2026, 3, 9))).run()
    # ... but not by 03-09: not yet contacted, so she stops at the first stage.
    assert "3 registered → 2 contacted (66.7 %) → 1 FTD (50.0 % of contacted)" in captions(at)
    assert not at.exception
