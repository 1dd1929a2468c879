"""The sales dashboard's "who is behind today, and why" on the small brokerage with a working
morning (tests/pages/behind_crm.py, where every figure below is worked out), at 12:00 on
Tuesday 2026-03-10."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import numpy as np
import pytest

from tests.pages.behind_crm import add_behind_cases
from tests.pages.conftest import build_warehouse, captions, column_formats, column_labels

PAGE = "pages/sales_dashboard.py"


@pytest.fixture(scope="session")
def behind_warehouse(migrated_sqlite_template, tmp_path_factory) -> Path:
    return build_warehouse(
        migrated_sqlite_template,
        tmp_path_factory.mktemp("behind"),
        True,
        prepare=add_behind_cases,
    )


def table(at, column: str):
    """The first table on the page with ``column``."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def numbers(values) -> list[float]:
    """A chart's values as Plotly writes them: a list, or a typed array in base 64."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), values["dtype"]).tolist()
    return list(values)


def teams_table(at):
    """The team subtotals: the table of teams, not of AMs."""
    return next(
        frame.value
        for frame in at.dataframe
        if "behind" in frame.value.columns and "am_name" not in frame.value.columns
    )


def test_flags_the_idle_am_with_its_reason(open_page, behind_warehouse):
    at = open_page(PAGE, behind_warehouse)
    assert not at.exception
    per_am = table(at, "behind").set_index("am_name")
    # Alan first: the only AM behind, for the 2 h 30 min of his shift (09:30-12:00) without
    # a call; his 08:00 call came before it.
    assert per_am.index.tolist()[0] == "Alan Ames"
    assert per_am["behind"].to_dict() == {
        "Alan Ames": "2 h 30 min without a call",
        "Cid Cole": "",
        "Bea Brook": "",
    }
    assert per_am["idle"].to_dict() == {
        "Alan Ames": "2 h 30 min",
        "Bea Brook": "20 min",
        "Cid Cole": "45 min",
    }
    assert per_am["last_call"].to_dict() == {
        "Alan Ames": "08:00",
        "Bea Brook": "11:40",
        "Cid Cole": "11:15",
    }
    assert per_am["calls"].to_dict() == {"Alan Ames": 1, "Bea Brook": 3, "Cid Cole": 2}
    assert per_am["connected_calls"].to_dict() == {"Alan Ames": 0, "Bea Brook": 1, "Cid Cole": 2}
    assert per_am["call_ratio"].to_dict() == {
        "Alan Ames": "0.0 %",
        "Bea Brook": "33.3 %",
        "Cid Cole": "100.0 %",
    }
    assert per_am["talk"].to_dict() == {
        "Alan Ames": "0 min",
        "Bea Brook": "4 min",
        "Cid Cole": "15 min",
    }
    assert per_am["starred_not_called"].to_dict() == {
        "Alan Ames": 1,
        "Bea Brook": 0,
        "Cid Cole": 0,
    }
    assert per_am["deposits"].to_dict() == {"Alan Ames": 0, "Bea Brook": 0, "Cid Cole": 2}
    assert per_am["deposit_usd"].to_dict() == {
        "Alan Ames": "0.00 USD",
        "Bea Brook": "0.00 USD",
        "Cid Cole": "455.00 USD",
    }
    assert per_am["ftds"].to_dict() == {"Alan Ames": 0, "Bea Brook": 0, "Cid Cole": 0}
    # Bea has no target: blank, not None.
    assert per_am["pace"].to_dict() == {
        "Alan Ames": "40.0 % / 28.8 %",
        "Bea Brook": "",
        "Cid Cole": "45.5 % / 28.8 %",
    }
    assert "1 AM of 3 behind." in captions(at)


def test_the_am_then_the_team_then_why_and_counts_with_separators(open_page, behind_warehouse):
    at = open_page(PAGE, behind_warehouse)
    shown = next(frame for frame in at.dataframe if "idle" in frame.value.columns)
    assert column_labels(shown)[:3] == ["AM", "Team", "Behind: why"]
    formats = column_formats(shown)
    # 5042 is written "5,042".
    assert (formats["starred_not_called"], formats["calls"], formats["deposits"]) == (
        "%,d",
        "%,d",
        "%,d",
    )


def test_team_subtotals_are_the_sums_of_their_ams(open_page, behind_warehouse):
    at = open_page(PAGE, behind_warehouse)
    teams = teams_table(at).set_index("team_name")
    assert teams.index.tolist() == ["Conversion A", "Retention B", "All teams"]
    assert teams["behind"].tolist() == ["1 of 2", "0 of 1", "1 of 3"]
    assert teams["calls"].tolist() == [4, 2, 6]  # Alan 1 + Bea 3; Cid 2
    assert teams["connected_calls"].tolist() == [1, 2, 3]
    assert teams["call_ratio"].tolist() == ["25.0 %", "100.0 %", "50.0 %"]
    assert teams["talk"].tolist() == ["4 min", "15 min", "19 min"]
    assert teams["starred_not_called"].tolist() == [1, 0, 1]
    assert teams["deposits"].tolist() == [0, 2, 2]
    assert teams["deposit_usd"].tolist() == ["0.00 USD", "455.00 USD", "455.00 USD"]
    # 200 of 500; 455 of 1,000; 655 of 1,500 = 43.7 %.
    assert teams["pace"].tolist() == ["40.0 % / 28.8 %", "45.5 % / 28.8 %", "43.7 % / 28.8 %"]


def test_the_team_filter_judges_within_the_team(open_page, behind_warehouse):
    at = open_page(PAGE, behind_warehouse)
    at.selectbox(key="sales.team").select("Retention B").run()
    assert not at.exception
    per_am = table(at, "behind")
    assert per_am["am_name"].tolist() == ["Cid Cole"]
    assert per_am["behind"].tolist() == [""]
    assert teams_table(at)["team_name"].tolist() == ["Retention B", "All teams"]


def test_an_hour_later_bea_is_idle_too_but_alan_not_more_than_his_shift(
    open_page, behind_warehouse
):
    """At 13:50 Bea's last call (11:40) is 2 h 10 min back; Alan's 4 h 20 min; Cid's 2 h 35 min
    (11:15): all three behind, longest first."""
    at = open_page(PAGE, behind_warehouse, now="2026-03-10T13:50:00+00:00")
    per_am = table(at, "behind")
    assert per_am["am_name"].tolist() == ["Alan Ames", "Cid Cole", "Bea Brook"]
    assert per_am["behind"].tolist() == [
        "4 h 20 min without a call",
        "2 h 35 min without a call",
        "2 h 10 min without a call",
    ]


def test_after_his_shift_cids_idle_time_stops(open_page, behind_warehouse):
    """Cid's shift ends at 16:00: at 17:00 his working time since 11:15 is 4 h 45 min, and he is
    off shift."""
    at = open_page(PAGE, behind_warehouse, now="2026-03-10T17:00:00+00:00")
    per_am = table(at, "behind").set_index("am_name")
    assert per_am.loc["Cid Cole", "idle"] == "4 h 45 min, off shift"
    assert per_am.loc["Bea Brook", "idle"] == "5 h 20 min"


def test_hour_by_hour_against_a_typical_tuesday(open_page, behind_warehouse):
    at = open_page(PAGE, behind_warehouse)
    chart = next(
        json.loads(element.proto.spec)
        for element in at.get("plotly_chart")
        if "typical" in element.proto.spec
    )
    today, typical = chart["data"]
    assert today["x"][:3] == ["00:00", "01:00", "02:00"]
    # Calls started at 08, 09, 10 and 11 (three: 11:00, 11:15, 11:40) o'clock; none yet at 12.
    calls = numbers(today["y"])
    assert calls[:12] == [0] * 8 + [1, 1, 1, 3]
    assert all(math.isnan(count) for count in calls[12:])
    assert today["name"] == "today (2026-03-10)"
    # The Tuesdays 03-03 (10:20) and 02-24 (10:50) had a call each at 10; 02-17 and 02-10 none.
    assert numbers(typical["y"]) == [0] * 10 + [0.5] + [0] * 13
    assert typical["name"] == "typical Tuesday (mean of the 4 before)"


def test_a_day_the_warehouse_does_not_hold_yet_says_so(open_page, behind_warehouse, monkeypatch):
    """The next morning, before the day's first ETL run: no table of today, a line why."""
    at = open_page(PAGE, behind_warehouse)
    monkeypatch.setenv("STARBOARD_TODAY", "2026-03-11")
    monkeypatch.setenv("STARBOARD_NOW", "2026-03-11T09:00:00+00:00")
    at.run()
    assert not at.exception
    assert not any("behind" in frame.value.columns for frame in at.dataframe)
    assert "Nothing for 2026-03-11 yet: the warehouse holds no account manager's figures" in (
        captions(at)
    )
