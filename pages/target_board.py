"""F12 Target board: each AM's target for the period running on a day, and the deposits
recorded against it on the AM's target tracking board."""

import streamlit as st

from dashboard import definitions, formats, periods, widgets
from dashboard.data import query

TARGET_COLUMNS = {
    "am_name": st.column_config.TextColumn("AM"),
    "team_name": st.column_config.TextColumn("Team"),
    "progress": st.column_config.ProgressColumn(
        "Progress", format="percent", min_value=0, max_value=1, help="recorded / target USD"
    ),
    "expected_progress": st.column_config.ProgressColumn(
        "Expected by now",
        format="percent",
        min_value=0,
        max_value=1,
        help=definitions.HELP["expected_progress"],
    ),
    "recorded_usd": st.column_config.NumberColumn("Recorded USD", format="dollar"),
    "target_usd": st.column_config.NumberColumn("Target USD", format="dollar"),
    "recorded_deposits": st.column_config.NumberColumn("Deposits recorded", format="%d"),
    "recorded_ftds": st.column_config.NumberColumn("FTDs recorded", format="%d"),
    "target_ftds": st.column_config.NumberColumn("FTD target", format="%d"),
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
    shown,
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
widgets.csv_export(shown, f"target-board-{day}.csv", key="targets.export")
