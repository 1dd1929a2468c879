"""F2 Online: the clients logged in to the platform now (as of the ETL's last run), refreshed
on its own every 15 s."""

import streamlit as st

from dashboard import lead_table, widgets
from dashboard.data import live_query

REFRESH_S = 15
COLUMNS = ["lead_id", "country", "status", "desk", "am_name", "online_since"]

st.title("Online")
widgets.require_warehouse()
team_column, am_column = st.columns(2)
with team_column:
    team = widgets.team_filter("online.team")
with am_column:
    am = widgets.am_filter("online.am", team)


@st.fragment(run_every=REFRESH_S)
def online_leads(team_id: int | None, am_id: int | None) -> None:
    widgets.live_freshness_line()
    st.caption(
        f"Online: a platform session seen in the 5 minutes before the ETL's run; this list "
        f"refreshes itself every {REFRESH_S} s."
    )
    rows = live_query(
        "leads_online",
        **lead_table.clock(),
        team_id=team_id,
        am_id=am_id,
        limit=lead_table.ROW_LIMIT,
    )
    lead_table.show(
        rows,
        COLUMNS,
        key="online.table",
        file_name="online.csv",
        shows="the clients logged in to the platform now, with their AM and local time",
        noun="leads online",
        selectable=False,
    )


online_leads(team.id, am.id)
