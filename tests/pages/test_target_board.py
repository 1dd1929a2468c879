"""The target board (F12) on the small hand-built CRM (tests/etl/small_crm.py, with its
pages-b block).

Hand-worked targets and what the board recorded against them:
  Cid, 03-01..03-31: 1,000.00 USD, 0 FTDs; recorded deposit 4 (03-10, 55.00 USD): 5.5 %
  Alan, 03-01..03-31: 500.00 USD, 2 FTDs; nothing recorded (his FTD of 03-09 is not on the board)
  Cid, 02-01..02-28: 300.00 USD, 1 FTD; nothing recorded (his 02-03 FTD is not on the board)
"""

from __future__ import annotations

from datetime import date

from tests.pages.conftest import column_formats, metrics

PAGE = "pages/target_board.py"


def tiles(at) -> dict[str, str]:
    return {label: value for label, (value, _) in metrics(at).items()}


def test_targets_running_today_furthest_along_first(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    assert not at.exception
    assert at.title[0].value == "Target board"
    assert tiles(at) == {
        "Targets": "2",
        "Target USD": "1,500.00 USD",
        "Recorded USD": "55.00 USD",
        "Progress": "3.7 %",  # 55 / 1,500
        # March 2026 has 22 working days; by Tuesday 03-10 12:00, 2-6 and 9 March (6) and a
        # third of 10 March's 09:00-18:00: 6.3333 / 22.
        "Expected by now": "28.8 %",
    }
    board = at.dataframe[0].value
    assert board["am_name"].tolist() == ["Cid Cole", "Alan Ames"]
    cid = board.iloc[0]
    # Shares in percentage points, written "5.5 %" and "28.8 %" as the tiles write them; money
    # "1,000.00 USD", as everywhere.
    assert (cid["target_usd"], cid["recorded_usd"], cid["progress"]) == (1000.0, 55.0, 5.5)
    assert (cid["recorded_deposits"], cid["target_ftds"], cid["recorded_ftds"]) == (1, 0, 0)
    assert cid["expected_progress"] == 28.79
    formats = column_formats(at.dataframe[0])
    assert (formats["progress"], formats["expected_progress"]) == ("%.1f %%", "%.1f %%")
    assert (formats["target_usd"], formats["recorded_usd"]) == ("%,.2f USD", "%,.2f USD")
    assert formats["recorded_deposits"] == "%,d"
    assert (cid["period_start"], cid["period_end"], cid["days_left"]) == (
        date(2026, 3, 1),
        date(2026, 3, 31),
        21,
    )
    alan = board.iloc[1]
    assert (alan["target_usd"], alan["recorded_usd"], alan["progress"]) == (500.0, 0.0, 0.0)
    assert (alan["recorded_deposits"], alan["target_ftds"]) == (0, 2)


def test_team_am_and_day_filters(open_page, small_warehouse):
    at = open_page(PAGE, small_warehouse)
    at.selectbox(key="targets.team").select("Conversion A").run()
    assert at.dataframe[0].value["am_name"].tolist() == ["Alan Ames"]
    assert tiles(at)["Target USD"] == "500.00 USD"
    assert tiles(at)["Progress"] == "0.0 %"
    at.selectbox(key="targets.team").select("All teams").run()
    at.selectbox(key="targets.am").select("Cid Cole").run()
    assert tiles(at)["Progress"] == "5.5 %"
    at.date_input(key="targets.day").set_value(date(2026, 2, 15)).run()
    board = at.dataframe[0].value
    assert board[["target_usd", "recorded_usd", "target_ftds", "days_left"]].values.tolist() == [
        [300.0, 0.0, 1, 13]
    ]
    at.date_input(key="targets.day").set_value(date(2026, 4, 15)).run()
    assert "Nothing to show yet" in at.info[0].value
    assert not at.exception


def test_empty_crm_says_what_the_page_shows_and_how_to_get_data(open_page, empty_warehouse):
    at = open_page(PAGE, empty_warehouse)
    assert not at.exception
    assert "Nothing to show yet" in at.info[0].value
    assert "target" in at.info[0].value
    assert "python -m crm demo" in at.markdown[0].value
    assert not at.metric
