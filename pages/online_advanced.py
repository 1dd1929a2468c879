"""F2 Online advanced: the clients logged in now with what an AM needs for the call (account,
last deposit, time online, last call), refreshed on its own every few seconds; assign from it."""

import streamlit as st

from dashboard import actions, exports, lead_table, widgets
from dashboard.data import LIVE_REFRESH_S, live_leads_online

REFRESH_S = LIVE_REFRESH_S
COLUMNS = [
    "lead_id",
    "country",
    "status",
    "desk",
    "am_name",
    "team_name",
    "online_since",
    "online_seconds",
    "balance",
    "balance_usd",
    "deposits",
    "deposit_usd",
    "last_deposit_at",
    "last_call_at",
]

# What the CRM gives live; the rest is as of the ETL's last run (README, "Real time").
LIVE_COLUMNS = "who is online and since when, status, desk, AM, balance"

st.title("Online advanced")
widgets.require_warehouse()
team_column, am_column = st.columns(2)
with team_column:
    team = widgets.team_filter("online_advanced.team")
with am_column:
    am = widgets.am_filter("online_advanced.am", team)


TABLE = "online_advanced.table"
every = widgets.refresh_every(TABLE, REFRESH_S)


@st.fragment(run_every=every)
def online_leads(team_id: int | None, am_id: int | None) -> None:
    rows, read_at = widgets.held_while_selected(
        TABLE,
        live_leads_online,
        **lead_table.clock(),
        team_id=team_id,
        am_id=am_id,
        limit=lead_table.ROW_LIMIT,
    )
    widgets.live_freshness_line(LIVE_COLUMNS, read_at)
    if every is None:
        st.caption(
            "Online: a platform session seen in the last 5 minutes. Refreshing is paused while "
            "leads are selected, so the selection stays; it resumes once the selection is "
            "cleared or the action is done."
        )
    else:
        st.caption(
            f"Online: a platform session seen in the last 5 minutes; this list refreshes "
            f"itself every {REFRESH_S} s, and pauses while leads are selected."
        )
    # The actions live inside the fragment: they act on the rows this refresh shows.
    selected = lead_table.show(
        rows,
        COLUMNS,
        key=TABLE,
        file_name="online-advanced.csv",
        export_to=exports.latest("online_advanced.table.export"),
        shows="the clients logged in to the platform now, with balance, last deposit, time "
        "online and last call",
        noun="leads online",
        filters=actions.Filters(am_id=am_id, team_id=team_id),
    )
    widgets.resume_or_pause(TABLE, paused=every is None)
    assign_column, other_column = st.columns(2)
    with assign_column:
        actions.assign_form(selected, key="online_advanced.assign", star=True)
    with other_column:
        actions.star_buttons(selected, key="online_advanced.stars")
        actions.note_form(selected, key="online_advanced.note")


online_leads(team.id, am.id)
# Outside the fragment: drawn once per page run, they export the table shown at the click.
exports.latest_buttons("online_advanced.table.export", "online-advanced.csv")
