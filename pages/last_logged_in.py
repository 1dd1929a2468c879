"""F7, F8 Last logged in: leads by their last platform login, the recent ones first (comebacks
after a long absence and low balances ahead); old conversion leads to wake up; retention
clients to grow. Assign from each list."""

import streamlit as st

from dashboard import actions, lead_table, widgets
from dashboard.data import query

RECENT = "Recent logins"
OLD_CONVERSION = "Old conversion leads"
RETENTION = "Retention opportunities"
VIEWS = {RECENT: "recent", OLD_CONVERSION: "old_conversion", RETENTION: "retention"}
# The desk a list holds, so that a lead moved to the other desk leaves it at once.
DESKS = {OLD_CONVERSION: "conversion", RETENTION: "retention"}
WITHIN = {"Today": 0, "Since yesterday": 1, "Last 3 days": 3, "Last 7 days": 7, "Last 30 days": 30}
COLUMNS = [
    "lead_id",
    "country",
    "last_login_at",
    "days_since_login",
    "came_back_after_days",
    "status",
    "desk",
    "am_name",
    "team_name",
    "registered_at",
    "balance",
    "balance_usd",
    "deposits",
    "deposit_usd",
]
SHOWS = {
    RECENT: "the leads that logged in lately, the most recent first, with comebacks after a "
    "long absence and low balances ahead",
    OLD_CONVERSION: "conversion leads without an FTD who have not logged in for a while, the "
    "most recently seen first",
    RETENTION: "retention clients by their last login, the most recent first",
}

st.title("Last logged in")
run = widgets.require_warehouse()
view = st.radio("List", list(VIEWS), horizontal=True, key="last_logged_in.view")
team_column, am_column, days_column = st.columns(3)
with team_column:
    team = widgets.team_filter("last_logged_in.team")
with am_column:
    am = widgets.am_filter("last_logged_in.am", team)
with days_column:
    if view == RECENT:
        within = st.selectbox("Logged in", list(WITHIN), index=3, key="last_logged_in.within")
        days = WITHIN[within]
    elif view == OLD_CONVERSION:
        days = st.number_input(
            "Last login at least this many days ago",
            min_value=1,
            max_value=3650,
            value=30,
            step=1,
            key="last_logged_in.days",
        )
    else:
        days = 0
widgets.freshness_line(run)

rows = query(
    "leads_last_logged_in",
    **lead_table.clock(),
    view=VIEWS[view],
    days=int(days),
    team_id=team.id,
    am_id=am.id,
    limit=lead_table.ROW_LIMIT,
)
selected = lead_table.show(
    rows,
    COLUMNS,
    key=f"last_logged_in.{VIEWS[view]}",
    file_name=f"last-logged-in-{VIEWS[view].replace('_', '-')}.csv",
    shows=SHOWS[view],
    filters=actions.Filters(am_id=am.id, team_id=team.id, desk=DESKS.get(view)),
)
assign_column, other_column = st.columns(2)
with assign_column:
    actions.assign_form(selected, key="last_logged_in.assign")
with other_column:
    actions.star_buttons(selected, key="last_logged_in.stars")
    actions.note_form(selected, key="last_logged_in.note")
