"""F1 All leads: every lead with its status, desk, AM and account, ranked; filters, and the new
leads (registered, nobody's yet) at the flick of a toggle. Assigning comes under the table."""

import streamlit as st

from dashboard import actions, lead_table, widgets
from dashboard.data import query

ALL = "All"
COLUMNS = [
    "lead_id",
    "country",
    "time_zone",
    "status",
    "desk",
    "am_name",
    "team_name",
    "why_assigned",
    "registered_at",
    "last_login_at",
    "balance",
    "balance_usd",
    "deposits",
    "deposit_usd",
]

st.title("All leads")
run = widgets.require_warehouse()
new_leads = st.toggle(
    "New leads only", key="all_leads.new", help="registered and not yet assigned to an AM"
)
team_column, am_column, desk_column, status_column = st.columns(4)
with team_column:
    team = widgets.team_filter("all_leads.team")
with am_column:
    am = widgets.am_filter("all_leads.am", team)
with desk_column:
    desk = st.selectbox("Desk", [ALL, *lead_table.DESKS], key="all_leads.desk")
with status_column:
    status = st.selectbox("Status", [ALL, *lead_table.STATUSES], key="all_leads.status")
search = st.text_input(
    "Search",
    key="all_leads.search",
    placeholder="part of a name, or of an e-mail address (with its @)",
).strip()
if new_leads and (team.id or am.id):
    st.caption("New leads have no AM yet: the team and AM filters do not apply to them.")
widgets.freshness_line(run)

rows = query(
    "leads_report",
    **lead_table.clock(),
    team_id=team.id,
    am_id=am.id,
    desk=None if desk == ALL else desk,
    status=None if status == ALL else status,
    search=search or None,
    new_leads=new_leads,
    limit=lead_table.ROW_LIMIT,
)
selected = lead_table.show(
    rows,
    COLUMNS,
    key="all_leads.table",
    file_name="new-leads.csv" if new_leads else "all-leads.csv",
    shows="every lead with status, desk, AM, local time, last login, balance and deposits, "
    "ranked by who to call first",
    filters=actions.Filters(
        am_id=am.id,
        team_id=team.id,
        desk=None if desk == ALL else desk,
        status=None if status == ALL else status,
        nobodys=new_leads,
    ),
)
assign_column, other_column = st.columns(2)
with assign_column:
    actions.assign_form(selected, key="all_leads.assign")
with other_column:
    actions.star_buttons(selected, key="all_leads.stars")
    actions.note_form(selected, key="all_leads.note")
