"""F12 Target board: each AM's target for the period running on a day, and the deposits
recorded against it on the AM's target tracking board."""

import streamlit as st

from dashboard import definitions, exports, formats, periods, widgets
from dashboard.data import query

PROGRESS_WIDTH = 150  # px: sized to fit, the bar had no room left beside its figure
PERCENTS = ["progress", "expected_progress"]
TARGET_COLUMNS = {
    "am_name": st.column_config.TextColumn("AM"),
    "team_name": st.column_config.TextColumn("Team"),
    # In percentage points (formats.points); wide enough for the bar beside "100.0 %".
    "progress": st.column_config.ProgressColumn(
        "Progress",
        format=formats.PERCENT_COLUMN,
        min_value=0,
        max_value=100,
        help="recorded / target USD",
        width=PROGRESS_WIDTH,
    ),
    # The same on rows of the same period: the share expected depends only on the period's
    # working time gone, not on the AM. Kept on each row, as targets of other periods (a
    # target set for a week, another for the month) may run on the same day.
    "expected_progress": st.column_config.ProgressColumn(
        "Expected by now",
        format=formats.PERCENT_COLUMN,
        min_value=0,
        max_value=100,
        help=f"{definitions.HELP['expected_progress']} It depends only on the period, so "
        "rows of the same period show the same share.",
        width=PROGRESS_WIDTH,
    ),
    "recorded_usd": st.column_config.NumberColumn("Recorded USD", format=formats.USD_COLUMN),
    "target_usd": st.column_config.NumberColumn("Target USD", format=formats.USD_COLUMN),
    "recorded_deposits": st.column_config.NumberColumn(
        "Deposits recorded", format=formats.COUNT_COLUMN
    ),
    "recorded_ftds": st.column_config.NumberColumn("FTDs recorded", format=formats.COUNT_COLUMN),
    "target_ftds": st.column_config.NumberColumn("FTD target", format=formats.COUNT_COLUMN),
    "period_start": st.column_config.DateColumn("From", format="YYYY-MM-DD"),
    "period_end": st.column_config.DateColumn("To", format="YYYY-MM-DD"),
    "days_left": st.column_config.NumberColumn("Days left", format="%d"),
}

st.title("Target board")
run = widgets.require_warehouse()
left, middle, right = st.columns(3)
with left:
    day = st.date_input(
        f"Targets running on ({periods.days_label()} day)",
        value=periods.today(),
        key="targets.day",
    )
with middle:
    team = widgets.team_filter("targets.team")
with right:
    am = widgets.am_filter("targets.am", team)
widgets.freshness_line(run)

scope = dict(day=day, now=periods.now(), team_id=team.id, am_id=am.id)
targets = query("target_board", **scope)
if targets.empty:
    widgets.empty_state(
        f"each account manager's target for the period running on {day}, the deposits "
        "recorded against it on their target board, and how far along they are"
    )
    st.stop()

totals = query("target_totals", **scope).iloc[0].to_dict()
tiles = [
    ("Targets", formats.count(totals["targets"])),
    ("Target USD", formats.usd(totals["target_usd"])),
    ("Recorded USD", formats.usd(totals["recorded_usd"])),
    ("Progress", formats.percent(totals["progress"])),
    ("Expected by now", formats.percent(totals["expected_progress"])),
]
helps = [None, None, definitions.HELP["board"], None, definitions.HELP["expected_progress"]]
for column, (label, value), help_ in zip(
    widgets.tile_columns(len(tiles)), tiles, helps, strict=True
):
    column.metric(label, value, help=help_)

shown = targets[list(TARGET_COLUMNS)]
st.dataframe(
    formats.points(shown, PERCENTS),
    column_config=TARGET_COLUMNS,
    hide_index=True,
    placeholder="",
    key="targets.board",
    height=widgets.table_height(len(shown)),
)
st.caption(
    f"{definitions.HELP['board']} Days left are those after the chosen day. "
    f"Expected by now: {definitions.HELP['expected_progress'][0].lower()}"
    f"{definitions.HELP['expected_progress'][1:]}"
)
widgets.csv_export(
    exports.headed(shown, TARGET_COLUMNS), f"target-board-{day}.csv", key="targets.export"
)
