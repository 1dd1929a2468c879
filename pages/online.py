"""F2 Online: the clients logged in to the platform now (live from the CRM), refreshed
on its own every few seconds."""

import streamlit as st

from dashboard import actions, exports, lead_table, widgets
from dashboard.data import LIVE_REFRESH_S, live_leads_online

REFRESH_S = LIVE_REFRESH_S
COLUMNS = ["lead_id", "country", "status", "desk", "am_name", "online_since"]

# What the CRM gives live; the rest is as of the ETL's last run (README, "Real time").
LIVE_COLUMNS = "who is online and since when, status, desk, AM, balance"

st.title("Online")
widgets.require_warehouse()
team_column, am_column = st.columns(2)
with team_column:
    team = widgets.team_filter("online.team")
with am_column:
    am = widgets.am_filter("online.am", team)


@st.fragment(run_every=REFRESH_S)
def online_leads(team_id: int | None, am_id: int | None) -> None:
    rows, read_at = live_leads_online(
        **lead_table.clock(),
        team_id=team_id,
        am_id=am_id,
        limit=lead_table.ROW_LIMIT,
    )
    widgets.live_freshness_line(LIVE_COLUMNS, read_at)
    st.caption(
        f"Online: a platform session seen in the last 5 minutes; this list "
        f"refreshes itself every {REFRESH_S} s."
    )
    lead_table.show(
        rows,
        COLUMNS,
        key="online.table",
        file_name="online.csv",
        export_to=exports.latest("online.table.export"),
        shows="the clients logged in to the platform now, with their AM and local time",
        noun="leads online",
        selectable=False,
        filters=actions.Filters(am_id=am_id, team_id=team_id),
    )


online_leads(team.id, am.id)
# Outside the fragment: drawn once per page run, they export the table shown at the click.
exports.latest_buttons("online.table.export", "online.csv")
