"""Executive KPAs (F13) on the small hand-built CRM (tests/etl/small_crm.py).

Hand-worked daily KPAs from small_crm.py (UTC days; deposits are approved ones, any AM or none):
  02-01  Cara registers
  02-03  Cara's self-deposited FTD, 100.00 EUR = 110.00 USD
  03-08  Ana registers; Alan's call to Ana connects
  03-09  Ben registers; Ana's FTD 1,000.00 BRL = 200.00 USD; 2 calls, 1 connected
  03-10  Dan registers; Cara's 50.00 EUR = 55.00 USD; 3 calls, 1 connected
Every other day since 02-01 is all zeros; there are no days before 02-01.
"""

from __future__ import annotations

from datetime import date

from tests.pages.conftest import captions, metrics
from tests.pages.test_count_axes import charts
from tests.pages.test_sales_behind import numbers

PAGE = "pages/executive_kpas.py"


def test_today_so_far_against_yesterday_to_the_same_minute(open_page, small_warehouse):
    """At 12:00 on 03-10 (the run's moment) today so far is the whole of the data; yesterday to
    12:00 is Ben's registration and Bea's unanswered call of 10:00 only (Ben's decline at 12:00
    and Ana's FTD at 15:00 come later), and Tuesday 03-03 to 12:00 is quiet."""
    at = open_page(PAGE, small_warehouse)
    assert not at.exception
    assert at.title[0].value == "Executive KPAs"
    assert at.date_input(key="kpa.day").value == date(2026, 3, 10)
    assert metrics(at) == {
        "Registrations": ("1", "0"),
        "FTDs": ("0", "0"),
        "Deposits": ("1", "+1"),
        "Deposit USD": ("55.00", "+55.00 USD"),
        "Calls": ("3", "+2"),
        "Connected calls": ("1", "+1"),
        "Call ratio": ("33.3 %", "+33.3 pp"),
        "Cohort conversion (7 days)": ("open", ""),
        "FTDs per registration (same day)": ("0.0 %", "0"),
    }
    table = at.dataframe[0].value.set_index("KPA")
    assert table["Yesterday to 12:00 UTC"].tolist() == [
        "1", "0", "0", "0.00 USD", "1", "0", "0.0 %", "0.0 %", "0.0 %",
    ]  # fmt: skip
    assert table["Same weekday last week to 12:00 UTC"].tolist() == [
        "0", "0", "0", "0.00 USD", "0", "0", "–", "–", "–",
    ]  # fmt: skip
    assert "Today so far, to 12:00 UTC, against yesterday and Tuesday last week" in captions(at)
    assert "data as of 12:00:00 (" in captions(at)
    assert "reporting days are UTC dates" in captions(at)


def test_changing_the_day_changes_the_figures(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.date_input(key="kpa.day").set_value(date(2026, 3, 9)).run()
    assert not at.exception
    # Monday 03-09 against Monday 03-02 (quiet).
    assert metrics(at) == {
        "Registrations": ("1", "+1"),
        "FTDs": ("1", "+1"),
        "Deposits": ("1", "+1"),
        "Deposit USD": ("200.00", "+200.00 USD"),
        "Calls": ("2", "+2"),
        "Connected calls": ("1", "+1"),
        "Call ratio": ("50.0 %", ""),
        # 03-09's cohort has its 7 days to 03-16: open on 03-10.
        "Cohort conversion (7 days)": ("open", ""),
        "FTDs per registration (same day)": ("100.0 %", ""),
    }
    table = at.dataframe[0].value.set_index("KPA")
    # 03-02, 02-23, 02-16, 02-09: all quiet.
    assert table["Same weekday last week"].tolist() == [
        "0", "0", "0", "0.00 USD", "0", "0", "–", "–", "–",
    ]  # fmt: skip
    assert table["4-week average"].tolist() == [
        "0.00", "0.00", "0.00", "0.00 USD", "0.00", "0.00", "–", "–", "–",
    ]  # fmt: skip


def test_four_week_average_counts_only_days_the_warehouse_holds(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.date_input(key="kpa.day").set_value(date(2026, 2, 10)).run()
    assert not at.exception
    # Tuesday 02-10 (quiet) against 02-03, Cara's 110.00 USD FTD. Of the 4 Tuesdays before,
    # only 02-03 is in the warehouse (it begins 02-01), so the average is that day's figures.
    shown = metrics(at)
    assert shown["Deposits"] == ("0", "-1")
    assert shown["Deposit USD"] == ("0.00", "-110.00 USD")
    assert shown["FTDs"] == ("0", "-1")
    table = at.dataframe[0].value.set_index("KPA")
    assert table.loc["FTDs", "4-week average"] == "1.00"
    assert table.loc["Deposit USD", "4-week average"] == "110.00 USD"
    assert table.loc["Deposit USD", "Same weekday last week"] == "110.00 USD"
    assert (
        table.loc["FTDs per registration (same day)", "4-week average"] == "–"
    )  # no registrations on 02-03


def test_missing_warehouse_says_how_to_build_it(open_page, tmp_path):
    at = open_page(PAGE, tmp_path / "nowhere.duckdb")
    assert not at.exception
    assert len(at.info) == 1
    assert "run `python -m etl run` to build it" in at.info[0].value


def test_empty_crm_says_what_the_page_shows_and_how_to_get_data(open_page, empty_warehouse):
    at = open_page(PAGE, empty_warehouse)
    assert not at.exception
    assert "Nothing to show yet" in at.info[0].value
    assert "python -m crm demo" in at.markdown[0].value
    assert not at.metric


def test_at_ten_the_tiles_compare_with_yesterday_at_ten(open_page, ftd_warehouse):
    """The FTD cases (tests/etl/ftd_crm.py) at 10:00 on 03-10. Today to 10:00: Dan registered
    (09:30); approved: Cara's 22.00 (00:10), Ben's 60.00 FTD (07:00), Cara's 55.00 (09:30);
    Alan's voicemail (08:00) and Cid's connected call (09:00). Yesterday to 10:00: Ben's
    registration (09:00) only (Bea's call is at 10:00 itself). Against the whole of yesterday
    the changes would be FTDs +0, deposits +1, -263.00 USD, calls +0."""
    at = open_page(PAGE, ftd_warehouse, now="2026-03-10T10:00:00+00:00")
    assert not at.exception
    assert metrics(at) == {
        "Registrations": ("1", "0"),
        "FTDs": ("1", "+1"),
        "Deposits": ("3", "+3"),
        "Deposit USD": ("137.00", "+137.00 USD"),
        "Calls": ("2", "+2"),
        "Connected calls": ("1", "+1"),
        "Call ratio": ("50.0 %", ""),
        # Today's cohort is open (until 03-17): no rate, no change.
        "Cohort conversion (7 days)": ("open", ""),
        "FTDs per registration (same day)": ("100.0 %", "+100.0 pp"),
    }
    assert "Today so far, to 10:00 UTC" in captions(at)
    # Dan's 40.00 self deposit (11:00) is the day's only deposit credited to no AM.
    assert "not credited to an AM (no owning AM): 1 deposit, 40.00 USD, 1 FTD" in captions(at)


def test_the_trend_draws_full_days_and_closed_cohorts_only(open_page, small_warehouse):
    """At 12:00 on 03-10 the trend runs from 02-01 (the data's first day) to 03-09: today,
    half over, is left out. A cohort is closed once its 7 days are over (day + 8 <= 03-10):
    02-01's (Cara, FTD on 02-03: 100 %) is drawn; 03-08's (Ana, FTD 03-09) and 03-09's are
    open, so the line stops at 03-02 (the days between had no registrations: no rate)."""
    at = open_page(PAGE, small_warehouse)
    assert not at.exception
    shown = charts(at)
    registrations = shown["Registrations"]["data"][0]
    assert registrations["x"][0].startswith("2026-02-01")
    assert registrations["x"][-1].startswith("2026-03-09")
    assert len(registrations["x"]) == 37
    assert numbers(registrations["y"])[-2:] == [1, 1]  # Ana on 03-08, Ben on 03-09
    cohort = shown["Cohort conversion (7 days)"]["data"][0]
    rates = numbers(cohort["y"])
    drawn = {x[:10]: y for x, y in zip(cohort["x"], rates, strict=True) if y == y}  # not NaN
    assert drawn == {"2026-02-01": 1.0}
    for count in ("Registrations", "FTDs", "Deposits", "Deposit USD", "Calls"):
        assert shown[count]["layout"]["yaxis"]["rangemode"] == "tozero", count
    assert "Full days only, up to yesterday" in captions(at)
    assert "closed cohorts only" in captions(at)
    # The tile says when 03-10's cohort closes.
    tile = next(m for m in at.metric if m.label == "Cohort conversion (7 days)")
    assert "open until 2026-03-17 ends" in tile.help
