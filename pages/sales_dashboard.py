"""F9 Sales dashboard: who is behind today and why (per AM, per team, hour by hour); then per AM
and team over a date range, calls and deposits, against the period before, and the conversion
funnel of the period's registrations."""

import streamlit as st

from dashboard import charts, definitions, formats, periods, sales_today, widgets
from dashboard.data import query
from dashboard.widgets import Tile

TILES = [
    Tile("Calls", "calls", "count"),
    Tile("Connected calls", "connected_calls", "count"),
    Tile("Call ratio", "call_ratio", "ratio"),
    Tile("Deposits", "deposits", "count"),
    Tile("Deposit USD", "deposit_usd", "usd"),
    Tile("FTDs", "ftds", "count"),
]
COUNT = formats.COUNT_COLUMN
AM_COLUMNS = {
    "am_name": st.column_config.TextColumn("AM", pinned=True),
    "team_name": st.column_config.TextColumn("Team"),
    "calls": st.column_config.NumberColumn("Calls", format=COUNT),
    "connected_calls": st.column_config.NumberColumn("Connected", format=COUNT),
    "call_ratio": st.column_config.TextColumn("Call ratio", help=definitions.HELP["call_ratio"]),
    "talk_seconds": st.column_config.TextColumn("Talk time", help=definitions.HELP["talk_seconds"]),
    "deposits": st.column_config.NumberColumn(
        "Deposits", format=COUNT, help=definitions.HELP["deposits"]
    ),
    "deposit_usd": st.column_config.TextColumn("Deposit USD", width=sales_today.MONEY_WIDTH),
    "ftds": st.column_config.NumberColumn("FTDs", format=COUNT, help=definitions.HELP["ftds"]),
    "failed_deposits": st.column_config.NumberColumn("Failed deposits", format=COUNT),
    "assigned_leads": st.column_config.NumberColumn("Leads assigned", format=COUNT),
}
# The export keeps the numbers under the table's headers; the talk time is in seconds there.
EXPORT_HEADERS = {column: config["label"] for column, config in AM_COLUMNS.items()} | {
    "talk_seconds": "Talk time (s)"
}

st.title("Sales dashboard")
run = widgets.require_warehouse()
left, middle, right = st.columns(3)
with left:
    period = widgets.date_range_picker("sales.range")
with middle:
    team = widgets.team_filter("sales.team")
with right:
    am = widgets.am_filter("sales.am", team)
widgets.freshness_line(run)

scope = dict(first_day=period.first, last_day=period.last, team_id=team.id, am_id=am.id)
before = period.previous()
agents = query("agents_in_range", **scope)
if agents.empty:
    widgets.empty_state(
        "each account manager's calls, connected calls, call ratio, deposits and FTDs "
        "for the chosen days and team, against the period before"
    )
    st.stop()

sales_today.section(team.id, am.id)

st.subheader(f"The chosen days: {period.label()}")
running = periods.running_until(period)
if running is None:
    totals = query("sales_totals", **scope).iloc[0].to_dict()
    previous = (
        query("sales_totals", **scope | dict(first_day=before.first, last_day=before.last))
        .iloc[0]
        .to_dict()
    )
    against = f"previous period {before.label()}"
else:
    # Today is still running: the period before is cut at the same minute of its last day.
    filters = dict(team_id=team.id, am_id=am.id)
    (start, end), (start_before, end_before) = running, periods.same_minute(before, running[1])
    totals = query("sales_window", start=start, end=end, **filters).iloc[0].to_dict()
    previous = (
        query("sales_window", start=start_before, end=end_before, **filters).iloc[0].to_dict()
    )
    against = f"previous period {before.label()} to {periods.floor_clock(end_before)}"
    st.caption(
        f"These days so far, to {periods.floor_clock(end)}, against {before.label()} to the "
        "same minute. "
        f"{definitions.HELP['so_far']}"
    )
widgets.kpi_tiles(TILES, totals, previous, against)
if team.id is None and am.id is None:
    self_deposits = query("deposit_credit", first_day=period.first, last_day=period.last).iloc[1]
    st.caption(
        "Deposits and FTDs here are those credited to an AM (the lead's owner at the time of "
        "the deposit). Not credited to an AM (no owning AM), left out above but counted on "
        f"the executive KPAs and the payment options log: "
        f"{formats.things(self_deposits['deposits'], 'deposit')}, "
        f"{formats.usd(self_deposits['deposit_usd'])}, "
        f"{formats.things(self_deposits['ftds'], 'FTD')}."
    )

calls_chart, ratio_chart, deposits_chart, funnel_chart = st.tabs(
    ["Calls per AM", "Call ratio per day", "Deposits per AM", "Conversion funnel"]
)
with calls_chart:
    widgets.bars_per_am(
        agents, {"calls": "Calls", "connected_calls": "Connected"}, "calls", key="sales.calls_chart"
    )
with ratio_chart:
    days = query("team_days", **scope)
    charts.line(
        days,
        "day",
        "call_ratio",
        key="sales.ratio_chart",
        x_title=f"day ({periods.days_label()})",
        markers=True,
        percent=True,
        from_zero=True,
    )
with deposits_chart:
    widgets.bars_per_am(
        agents, {"deposits": "Deposits", "ftds": "FTDs"}, "deposits", key="sales.deposits_chart"
    )
with funnel_chart:
    funnel = query("funnel", **scope)
    charts.funnel(funnel, "stage", "leads", key="sales.funnel_chart", value_title="leads")
    registered, contacted, ftds = funnel.to_dict("records")
    st.caption(
        f"{formats.count(registered['leads'])} registered → "
        f"{formats.count(contacted['leads'])} contacted ({formats.percent(contacted['share'])}) → "
        f"{formats.count(ftds['leads'])} FTD ({formats.percent(ftds['share'])} of contacted). "
        "Leads registered in these days, owned now by the chosen team or AM; contacted (a call, "
        "a note or an e-mail other than the welcome) and FTD by the end of the last day."
    )

shown = agents[list(AM_COLUMNS)]
st.dataframe(
    formats.readable(
        shown, percents=["call_ratio"], hours_of=["talk_seconds"], usds=["deposit_usd"]
    ),
    column_config=AM_COLUMNS,
    hide_index=True,
    placeholder="",
    key="sales.agents",
    height=widgets.table_height(len(shown)),
)
widgets.csv_export(
    shown.rename(columns=EXPORT_HEADERS),
    f"sales-{period.first}-{period.last}.csv",
    key="sales.export",
)
