"""Count axes show whole numbers only (a quiet day's 0 to 3 calls were ticked 0, 0.5, 1 ...).

Every chart of counts, on the small hand-built CRM (tests/etl/small_crm.py) and the "who is
behind" one (tests/pages/behind_crm.py): the calls by hour, the calls and deposits per AM, the
conversion funnel and the executive KPAs' count trends tick every whole number (their counts are
all under 10: the small CRM holds 6 calls and 3 FTDs); ratios stay percentages, and money keeps
Plotly's own ticks.
"""

from __future__ import annotations

import json

from dashboard.charts import count_axis, percent_ticks
from tests.pages.test_sales_behind import behind_warehouse  # noqa: F401 - a fixture

WHOLE = {"tickformat": ",d", "rangemode": "nonnegative", "tick0": 0, "dtick": 1}
FROM_ZERO = WHOLE | {"rangemode": "tozero"}  # the KPA trends' counts start at 0


def charts(at) -> dict[str, dict]:
    """Each Plotly chart of the run by its title (else its value axis's), as sent (the calls
    by hour, under the tab's calls per AM, is left out here)."""
    specs = [json.loads(element.proto.spec) for element in at.get("plotly_chart")]
    return {_key(spec): spec for spec in specs if "typical" not in json.dumps(spec["data"])}


def _key(spec: dict) -> str:
    title = spec["layout"].get("title", {}).get("text")
    if title:
        return title
    axes = spec["layout"].get("yaxis", {}).get("title", {}).get("text")
    return axes or spec["layout"].get("xaxis", {}).get("title", {}).get("text", "")


def axis(spec: dict, name: str) -> dict:
    return {k: v for k, v in spec["layout"][name].items() if k in WHOLE}


def test_the_calls_by_hour_of_a_quiet_day_tick_whole_calls(open_page, behind_warehouse):  # noqa: F811
    at = open_page("pages/sales_dashboard.py", behind_warehouse)
    # At most 3 calls an hour today, a typical 0.5: every whole number from 0.
    specs = [json.loads(element.proto.spec) for element in at.get("plotly_chart")]
    (hours,) = [spec for spec in specs if "typical" in json.dumps(spec["data"])]
    assert axis(hours, "yaxis") == WHOLE


def test_the_sales_dashboard_counts_tick_whole_numbers(open_page, small_warehouse):
    at = open_page("pages/sales_dashboard.py", small_warehouse)
    shown = charts(at)
    assert axis(shown["calls"], "yaxis") == WHOLE
    assert axis(shown["deposits"], "yaxis") == WHOLE
    assert axis(shown["leads"], "xaxis") == WHOLE
    # The call ratio is a share: percentages, as before.
    ratio = next(s for s in shown.values() if s["layout"]["yaxis"].get("tickformat") == ".0%")
    assert "dtick" not in ratio["layout"]["yaxis"]


def test_the_executive_kpas_count_trends_tick_whole_numbers(open_page, small_warehouse):
    at = open_page("pages/executive_kpas.py", small_warehouse)
    shown = charts(at)
    for count in ("Registrations", "FTDs", "Deposits", "Calls", "Connected calls"):
        assert axis(shown[count], "yaxis") == FROM_ZERO, count
    # 100 % on 03-08 and 50 % on 03-09: whole percents are enough.
    assert axis(shown["Call ratio"], "yaxis") == {"tickformat": ".0%"}
    assert axis(shown["Deposit USD"], "yaxis") == {"rangemode": "tozero"}


def test_above_ten_plotly_ticks_whole_steps_shown_as_whole_numbers():
    assert count_axis([0, 3, 11]) == {"tickformat": ",d", "rangemode": "nonnegative"}
    assert count_axis([float("nan"), 2], [0.5]) == WHOLE
    assert count_axis([]) == WHOLE  # nothing yet: 0 and 1, never -1 or 0.5
    assert count_axis([4], axis={"rangemode": "tozero"})["rangemode"] == "tozero"


def test_percent_ticks_have_the_decimals_the_spread_needs():
    # The walk-through's call ratio, 30.4 % to 31.2 %, ticked every 0.2 %: one decimal.
    assert percent_ticks([0.304, 0.312, None]) == ".1%"
    assert percent_ticks([0.3, 0.5]) == ".0%"
    assert percent_ticks([0.3041, 0.3043]) == ".2%"
    assert percent_ticks([]) == ".0%"
    assert percent_ticks([None, 1.0, None]) == ".0%"  # one closed cohort: not 100.00 %
