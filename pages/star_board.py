"""F5 Star board: the starred leads, the work each AM may do now, per AM, with the lead's local
time, whether it is a sensible hour to call, the callback in the lead's own zone, the last
contact, and why the lead ranks where it does."""

import streamlit as st

from dashboard import widgets
from dashboard.data import calling_hours, query

LIMIT = 2000
PER_AM_COLUMNS = {
    "am_name": st.column_config.TextColumn("AM"),
    "team_name": st.column_config.TextColumn("Team"),
    "starred": st.column_config.NumberColumn("Starred", format="%d"),
    "callable_now": st.column_config.NumberColumn(
        "Callable now", format="%d", help="inside the calling hours of the lead's own day"
    ),
    "callbacks_due": st.column_config.NumberColumn(
        "Callbacks due", format="%d", help="callback overdue or within the next 24 hours"
    ),
}
LEAD_COLUMNS = {
    "lead_name": st.column_config.TextColumn("Lead"),
    "am_name": st.column_config.TextColumn("AM"),
    "country": st.column_config.TextColumn("Country"),
    "local_time": st.column_config.DatetimeColumn("Lead's time", format="ddd HH:mm"),
    "in_calling_hours": st.column_config.CheckboxColumn("Callable now"),
    "callback_local": st.column_config.DatetimeColumn(
        "Callback (lead's time)", format="YYYY-MM-DD HH:mm"
    ),
    "last_contacted_at": st.column_config.DatetimeColumn("Last contact", format="YYYY-MM-DD HH:mm"),
    "status": st.column_config.TextColumn("Status"),
    "priority_score": st.column_config.NumberColumn("Rank", format="%d"),
    "priority_reasons": st.column_config.TextColumn("Why it ranks there", width="large"),
    "time_zone": st.column_config.TextColumn("Time zone"),
}

st.title("Star board")
run = widgets.require_warehouse()
left, right = st.columns(2)
with left:
    team = widgets.team_filter("star.team")
with right:
    am = widgets.am_filter("star.am", team)
widgets.freshness_line(run)

hours = calling_hours()
scope = dict(
    team_id=team.id,
    am_id=am.id,
    now=widgets.query_moment(),
    first_minute=hours.start_minute,
    end_minute=hours.end_minute,
)
per_am = query("starred_per_am", **scope)
if per_am.empty:
    widgets.empty_state(
        "the starred leads of each account manager (the work they may do now), with each "
        "lead's local time, whether it is inside the calling hours, the callback, the last "
        "contact and why the lead ranks where it does"
    )
    st.stop()

st.subheader("Starred per AM")
st.caption(f"calling hours {hours} of each lead's own day")
st.dataframe(
    per_am[list(PER_AM_COLUMNS)],
    column_config=PER_AM_COLUMNS,
    hide_index=True,
    key="star.per_am",
)

# End of shift (F5) is an action of the actions issue: unstar the day's leads, star the leads
# whose contact is due tomorrow inside their calling hours. Its preview and confirm widget
# goes in this container, above the list it changes; it then clears the caches it touched.
end_of_shift = st.container(key="star.end_of_shift")

st.subheader("Starred leads")
leads = query("starred_leads", **scope, limit=LIMIT)
shown = widgets.in_viewer_zone(leads, "last_contacted_at")[list(LEAD_COLUMNS)]
picked = st.dataframe(
    shown,
    column_config=LEAD_COLUMNS,
    hide_index=True,
    key="star.leads",
    on_select="rerun",
    selection_mode="multi-row",
)
# Star and unstar of chosen leads (actions issue) act on these lead ids.
selected_leads = leads.iloc[picked.selection.rows]["lead_id"].tolist()
if selected_leads:
    st.caption(f"{len(selected_leads):,} selected")
if len(leads) == LIMIT:
    st.caption(f"the first {LIMIT:,} starred leads; choose a team or an AM to see the rest")
widgets.csv_export(shown, "starred-leads.csv", key="star.export")
