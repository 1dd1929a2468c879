"""The dashboard's logic without Streamlit: date ranges, previous periods, safe CSV cells."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pandas as pd
import pytest

from dashboard import definitions, formats, kpas, periods
from dashboard.exports import headed, neutralise_formulas
from dashboard.periods import Period
from dashboard.widgets import top_with_others

TUESDAY = date(2026, 3, 10)


@pytest.mark.parametrize(
    "choice, period, previous",
    [
        ("Today", (date(2026, 3, 10), date(2026, 3, 10)), (date(2026, 3, 9), date(2026, 3, 9))),
        ("Yesterday", (date(2026, 3, 9), date(2026, 3, 9)), (date(2026, 3, 8), date(2026, 3, 8))),
        ("Last 7 days", (date(2026, 3, 4), TUESDAY), (date(2026, 2, 25), date(2026, 3, 3))),
        ("Last 30 days", (date(2026, 2, 9), TUESDAY), (date(2026, 1, 10), date(2026, 2, 8))),
        # 10 days of March against the 10 days before them.
        ("This month", (date(2026, 3, 1), TUESDAY), (date(2026, 2, 19), date(2026, 2, 28))),
    ],
)
def test_a_range_and_the_period_of_the_same_length_before_it(choice, period, previous):
    resolved = periods.resolve(choice, TUESDAY)
    assert resolved == Period(*period)
    assert resolved.previous() == Period(*previous)


def test_custom_range_in_either_order():
    picked = (date(2026, 3, 9), date(2026, 3, 1))
    assert periods.resolve("Custom", TUESDAY, picked) == Period(date(2026, 3, 1), date(2026, 3, 9))
    assert Period(date(2026, 3, 1), date(2026, 3, 9)).days == 9


def test_today_is_the_utc_date_unless_pinned(monkeypatch):
    monkeypatch.setenv("STARBOARD_TODAY", "2026-03-10")
    assert periods.today() == TUESDAY


def test_same_weekday_before():
    assert periods.same_weekday_before(TUESDAY, 4) == [
        date(2026, 3, 3),
        date(2026, 2, 24),
        date(2026, 2, 17),
        date(2026, 2, 10),
    ]


def test_csv_cells_cannot_run_as_formulas():
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x")', "+1 555", "-2+3", "@SUM(A1)", "Ana", None],
            "amount": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    safe = neutralise_formulas(frame)
    assert safe["name"].tolist()[:5] == [
        '\'=HYPERLINK("http://x")',
        "'+1 555",
        "'-2+3",
        "'@SUM(A1)",
        "Ana",
    ]
    assert safe["name"].isna().tolist()[5]
    assert safe["amount"].tolist() == [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0]  # numbers stay numbers
    assert frame["name"][0].startswith("=")  # the shown table is left as it is


def _freshness_page(lag):
    import pandas as pd  # AppTest runs the function's own source: its imports go inside

    from dashboard import widgets

    widgets.freshness_line(
        {"as_of": pd.Timestamp("2026-03-10 12:00", tz="UTC"), "replica_lag_s": lag}
    )


@pytest.mark.parametrize(
    "lag, shown",
    [(0.25, "read from the CRM's replica, 0.2 s behind"), (None, None), (float("nan"), None)],
)
def test_the_freshness_line_says_how_far_behind_the_replica_was(monkeypatch, lag, shown):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("STARBOARD_NOW", "2026-03-10T12:00:30+00:00")
    at = AppTest.from_function(_freshness_page, args=(lag,)).run()
    line = at.caption[0].value
    assert line.startswith("data as of 12:00:00 (30 s ago)")
    assert (shown in line) if shown else ("replica" not in line)


def test_bars_show_the_top_ams_largest_first_and_the_rest_as_others():
    agents = pd.DataFrame(
        {
            "am_name": ["Ann", "Bob", "Cy", "Di", "Ed"],
            "calls": [3, 9, 1, 9, 5],
            "ftds": [1, 2, 0, 0, 4],
        }
    )
    shown = top_with_others(agents, "am_name", ["calls", "ftds"], n=3)
    # Bob and Di tie on 9 calls: kept in their order; Ann (3 calls, 1 FTD) and Cy (1, 0) fold
    # into others as their mean per AM: 2 calls, 0.5 FTDs.
    assert shown.to_dict("records") == [
        {"am_name": "Bob", "calls": 9, "ftds": 2},
        {"am_name": "Di", "calls": 9, "ftds": 0},
        {"am_name": "Ed", "calls": 5, "ftds": 4},
        {"am_name": "others (2), mean", "calls": 2.0, "ftds": 0.5},
    ]
    assert top_with_others(agents, "am_name", ["calls"], n=5)["am_name"].tolist() == [
        "Bob", "Di", "Ed", "Ann", "Cy",
    ]  # fmt: skip


def test_so_far_windows_cut_yesterday_and_last_week_at_the_same_minute():
    moment = datetime(2026, 3, 10, 10, 0, 42, tzinfo=timezone.utc)
    assert kpas.so_far_windows(moment) == {
        "today": (
            datetime(2026, 3, 10, tzinfo=timezone.utc),
            datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc),
        ),
        "yesterday": (
            datetime(2026, 3, 9, tzinfo=timezone.utc),
            datetime(2026, 3, 9, 10, 0, tzinfo=timezone.utc),
        ),
        "last_week": (
            datetime(2026, 3, 3, tzinfo=timezone.utc),
            datetime(2026, 3, 3, 10, 0, tzinfo=timezone.utc),
        ),
    }


def test_every_kpa_tile_has_its_rule_in_one_sentence():
    for kpa in kpas.KPAS:
        assert definitions.HELP[kpa].endswith(".") and definitions.HELP[kpa].count(". ") == 0


def test_a_table_shows_up_to_25_rows_before_it_scrolls():
    from dashboard.widgets import table_height

    # 35 px a row and the header, and the 3 px of the border.
    assert [table_height(n) for n in (0, 1, 4, 25, 26, 1000)] == [
        "auto",
        73,
        178,
        913,
        913,
        913,
    ]


def test_every_table_shows_a_missing_value_as_a_blank():
    """Streamlit draws a missing value as a grey "None" unless told otherwise: every table of
    the dashboard passes ``placeholder=""`` (issue 22: blank instead of "None")."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    missing = []
    for path in [*root.glob("dashboard/**/*.py"), *root.glob("pages/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "dataframe"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "st"
            ):
                given = {keyword.arg: keyword.value for keyword in node.keywords}
                placeholder = given.get("placeholder")
                if not (isinstance(placeholder, ast.Constant) and placeholder.value == ""):
                    missing.append(f"{path.relative_to(root)}:{node.lineno}")
    assert missing == []


@pytest.mark.parametrize(
    ("current", "previous", "kind", "shown"),
    [
        (5, 5, "count", "0"),
        (0.25, 0.25, "ratio", "0"),
        (0.2504, 0.25, "ratio", "0"),  # +0.04 pp, written "+0.0 pp": no change as shown
        (0.2496, 0.25, "ratio", "0"),  # not "-0.0 pp" either
        (10.0, 10.0, "usd", "0"),
        (6, 5, "count", "+1"),
        (4, 5, "count", "-1"),
        (0.26, 0.25, "ratio", "+1.0 pp"),
        (61_561.81, 2_000.0, "usd", "+59,561.81 USD"),
        (None, 5, "count", None),
    ],
)
def test_a_change_of_zero_reads_as_no_change(current, previous, kind, shown):
    # st.metric draws only the delta "0" grey and without an arrow; any other text as a rise.
    assert formats.change(current, previous, kind) == shown


def test_numbers_shown_and_exported_the_same_way_on_every_page():
    assert formats.usd(59_561.81) == "59,561.81 USD"
    assert formats.percent(0.6474) == "64.7 %"
    assert formats.count(5042) == "5,042"
    frame = pd.DataFrame({"progress": [0.6474, None], "method": ["e_wallet", "charged_back"]})
    assert formats.points(frame, ["progress"])["progress"].tolist()[0] == pytest.approx(64.74)
    assert formats.in_words(frame, ["method", "status"])["method"].tolist() == [
        "e-wallet",
        "charged back",
    ]
    config = {"progress": {"label": "Progress"}}
    assert headed(frame, config).columns.tolist() == ["Progress", "method"]
