"""F3 Failed deposits: declined deposit attempts with the provider's reason, the open ones
first, so each goes to its AM with a note that helps the client deposit."""

import streamlit as st

from dashboard import actions, lead_table, widgets
from dashboard.data import query

COLUMNS = [
    "created_at",
    "deposit_id",
    "is_reviewed",
    "decline_reason",
    "amount",
    "amount_usd",
    "provider",
    "method",
    "lead_id",
    "country",
    "status",
    "am_name",
    "team_name",
    "reviewed_at",
    "balance",
    "balance_usd",
]

st.title("Failed deposits")
run = widgets.require_warehouse()
range_column, team_column, am_column = st.columns(3)
with range_column:
    period = widgets.date_range_picker("failed_deposits.range")
with team_column:
    team = widgets.team_filter("failed_deposits.team")
with am_column:
    am = widgets.am_filter("failed_deposits.am", team)
open_only = st.toggle(
    "Open only",
    key="failed_deposits.open",
    help="not yet assigned as a failed deposit, nor noted, since the attempt",
)
widgets.freshness_line(run)

rows = query(
    "failed_deposits",
    **lead_table.clock(),
    first_day=period.first,
    last_day=period.last,
    team_id=team.id,
    am_id=am.id,
    open_only=open_only,
    limit=lead_table.ROW_LIMIT,
)
selected = lead_table.show(
    rows,
    COLUMNS,
    key="failed_deposits.table",
    file_name=f"failed-deposits-{period.first}-{period.last}.csv",
    shows="the declined deposit attempts of the chosen days with the provider's decline "
    "reason, the lead and its AM, the open ones first",
    noun="declined deposits",
    filters=actions.Filters(am_id=am.id, team_id=team.id, open_only=open_only),
)
actions.failed_deposit_review(selected, key="failed_deposits.review")
