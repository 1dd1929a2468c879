"""F5 Star board: the starred leads, the work each AM may do now, per AM, with the lead's local
time, whether it is a sensible hour to call, the callback in the lead's own zone, the last
contact, and why the lead ranks where it does; star and unstar, and the end of shift."""

import streamlit as st

from dashboard import actions, formats, lead_table, widgets
from dashboard.data import calling_hours, query

PER_AM_COLUMNS = {
    "am_name": st.column_config.TextColumn("AM"),
    "team_name": st.column_config.TextColumn("Team"),
    "starred": st.column_config.NumberColumn("Starred", format=formats.COUNT_COLUMN),
    "callable_now": st.column_config.NumberColumn(
        "Callable now",
        format=formats.COUNT_COLUMN,
        help="inside the calling hours of the lead's own day",
    ),
    "callbacks_due": st.column_config.NumberColumn(
        "Callbacks due",
        format=formats.COUNT_COLUMN,
        help="callback overdue or within the next 24 hours",
    ),
}
LEAD_COLUMNS = ["am_name", "country", "time_zone", "callback_local", "status"]
SHOWS = (
    "the starred leads of each account manager (the work they may do now), with each "
    "lead's local time, whether it is inside the calling hours, the callback, the last "
    "contact and why the lead ranks where it does"
)

st.title("Star board")
run = widgets.require_warehouse()
left, right = st.columns(2)
with left:
    team = widgets.team_filter("star.team")
with right:
    am = widgets.am_filter("star.am", team)
widgets.freshness_line(run)

hours = calling_hours()
scope = dict(team_id=team.id, am_id=am.id, **lead_table.clock())
per_am = query("starred_per_am", **scope)
# This session's stars since the ETL's run count at once, as in the list below.
per_am = actions.per_am_with_changes(per_am, lead_table.clock(), team_id=team.id, am_id=am.id)
leads = query("starred_leads", **scope, limit=lead_table.ROW_LIMIT)
leads = actions.with_newly_starred(leads, lead_table.clock(), team_id=team.id, am_id=am.id)

if per_am.empty and leads.empty:
    widgets.empty_state(SHOWS)
else:
    st.subheader("Starred per AM")
    st.caption(
        f"calling hours {hours} of each lead's own day; counts as of the ETL's run, with the "
        "CRM's changes since"
    )
    st.dataframe(
        per_am[list(PER_AM_COLUMNS)],
        column_config=PER_AM_COLUMNS,
        hide_index=True,
        placeholder="",
        key="star.per_am",
    )

# End of shift sits above the list it changes.
with st.container(key="star.end_of_shift"):
    # For the team or AM the filters show, or the whole floor.
    scope = am.name if am.id is not None else (f"team {team.name}" if team.id else None)
    actions.end_of_shift_form(key="star.shift", team_id=team.id, am_id=am.id, scope=scope)
if per_am.empty and leads.empty:
    st.stop()

st.subheader("Starred leads")
selected = lead_table.show(
    leads,
    LEAD_COLUMNS,
    key="star.leads",
    file_name="starred-leads.csv",
    shows=SHOWS,
    noun="starred leads",
    filters=actions.Filters(am_id=am.id, team_id=team.id, starred=True),
)
actions.star_buttons(selected, key="star.stars")
