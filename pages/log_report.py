"""F10 Log report: the team's daily activity and communication with leads, per AM: calls,
connected calls, e-mails, notes and assignments per AM per day, and what one AM did on one
day, event by event."""

from datetime import timedelta

import streamlit as st

from dashboard import formats, periods, widgets
from dashboard.data import query
from dashboard.formats import plain
from dashboard.widgets import Tile

DAYS_LIMIT = 10_000
EVENTS_LIMIT = 2_000
TILES = [
    Tile("Calls", "calls", "count"),
    Tile("Connected calls", "connected_calls", "count"),
    Tile("E-mails", "emails", "count"),
    Tile("Notes", "notes", "count"),
    Tile("Assignments", "assignments", "count"),
]
DAY_COLUMNS = {
    "day": st.column_config.DateColumn(f"Day ({periods.days_label()})", format="YYYY-MM-DD"),
    "am_name": st.column_config.TextColumn("AM"),
    "team_name": st.column_config.TextColumn("Team"),
    "calls": st.column_config.NumberColumn("Calls", format=formats.COUNT_COLUMN),
    "connected_calls": st.column_config.NumberColumn("Connected", format=formats.COUNT_COLUMN),
    "emails": st.column_config.NumberColumn("E-mails", format=formats.COUNT_COLUMN),
    "notes": st.column_config.NumberColumn("Notes", format=formats.COUNT_COLUMN),
    "assignments": st.column_config.NumberColumn("Assignments", format=formats.COUNT_COLUMN),
}
EVENT_COLUMNS = {
    "occurred_at": st.column_config.DatetimeColumn("Time", format="HH:mm:ss"),
    "kind": st.column_config.TextColumn("What"),
    "lead_name": st.column_config.TextColumn("Lead"),
    "summary": st.column_config.TextColumn("Detail", width="large"),
    "lead_id": st.column_config.NumberColumn("Lead id", format="%d"),
}

st.title("Log report")
run = widgets.require_warehouse()
left, middle, right = st.columns(3)
with left:
    period = widgets.date_range_picker("log.range")
with middle:
    team = widgets.team_filter("log.team")
with right:
    am = widgets.am_filter("log.am", team)
widgets.freshness_line(run)

scope = dict(first_day=period.first, last_day=period.last, team_id=team.id, am_id=am.id)
days = query("activity_days", **scope, limit=DAYS_LIMIT)
if days.empty:
    widgets.empty_state(
        "each account manager's calls, connected calls, e-mails, notes and assignments per "
        "day, and what one AM did on one day, event by event"
    )
    st.stop()

before = period.previous()
totals = query("activity_totals", **scope).iloc[0].to_dict()
previous = (
    query("activity_totals", **scope | dict(first_day=before.first, last_day=before.last))
    .iloc[0]
    .to_dict()
)
widgets.kpi_tiles(TILES, totals, previous, f"previous period {before.label()}")

st.subheader("Per AM per day")
shown_days = days[list(DAY_COLUMNS)]
st.dataframe(
    shown_days,
    column_config=DAY_COLUMNS,
    hide_index=True,
    placeholder="",
    key="log.days",
    height=widgets.table_height(len(shown_days)),
)
if len(days) == DAYS_LIMIT:
    st.caption(f"the newest {DAYS_LIMIT:,} rows; choose fewer days, a team or an AM")
widgets.csv_export(shown_days, f"log-{period.first}-{period.last}.csv", key="log.export")

st.subheader("Events of one AM on one day")
if am.id is None:
    st.caption("Choose an AM above to see what they did on a day, event by event.")
    st.stop()
day = st.selectbox(
    f"Day ({periods.days_label()})",
    [period.last - timedelta(days=n) for n in range(period.days)],
    key="log.day",
)
events = query("activity_events", am_id=am.id, day=day, limit=EVENTS_LIMIT)
if events.empty:
    st.info(
        plain(
            f"{am.name} has no call, e-mail, note or assignment on {day} ({periods.days_label()})."
        )
    )
    st.stop()
shown_events = widgets.in_viewer_zone(events, "occurred_at")[list(EVENT_COLUMNS)]
st.dataframe(
    shown_events,
    column_config=EVENT_COLUMNS,
    hide_index=True,
    placeholder="",
    key="log.events",
    height=widgets.table_height(len(shown_events)),
)
if len(events) == EVENTS_LIMIT:
    st.caption(f"the newest {EVENTS_LIMIT:,} events of the day")
widgets.csv_export(shown_events, f"log-{am.id}-{day}.csv", key="log.events_export")
