"""F4 New deposits: approved deposits of the chosen days. A self deposit (no owning AM, or no AM
contact before it) goes for upsale; a deposit on an AM-owned account goes on that AM's target
board. The ones not yet followed up come first."""

import streamlit as st

from dashboard import actions, lead_table, widgets
from dashboard.data import query

SELF = "Self deposits (upsale)"
OWNED = "On AM-owned accounts (target board)"
KINDS = {SELF: "self", OWNED: "owned"}
COLUMNS = {
    SELF: ["is_upsale_assigned", "created_at", "deposit_id", "amount", "amount_usd", "is_ftd"],
    OWNED: ["on_target_board", "created_at", "deposit_id", "amount", "amount_usd", "is_ftd"],
}
LEAD_COLUMNS = [
    "provider",
    "method",
    "lead_id",
    "country",
    "status",
    "am_name",
    "credited_am_name",
    "team_name",
    "balance",
    "balance_usd",
]
SHOWS = {
    SELF: "the deposits clients made on their own in the chosen days, to assign for upsale",
    OWNED: "the deposits on AM-owned accounts in the chosen days, and whether each is on its "
    "AM's target board",
}

st.title("New deposits")
run = widgets.require_warehouse()
range_column, team_column, am_column = st.columns(3)
with range_column:
    period = widgets.date_range_picker("new_deposits.range")
with team_column:
    team = widgets.team_filter("new_deposits.team")
with am_column:
    am = widgets.am_filter("new_deposits.am", team)
kind = st.radio("Deposits", list(KINDS), horizontal=True, key="new_deposits.kind")
widgets.freshness_line(run)

rows = query(
    "new_deposits",
    **lead_table.clock(),
    kind=KINDS[kind],
    first_day=period.first,
    last_day=period.last,
    team_id=team.id,
    am_id=am.id,
    limit=lead_table.ROW_LIMIT,
)
selected = lead_table.show(
    rows,
    COLUMNS[kind] + LEAD_COLUMNS,
    key=f"new_deposits.{KINDS[kind]}",
    file_name=f"new-deposits-{KINDS[kind]}-{period.first}-{period.last}.csv",
    shows=SHOWS[kind],
    noun="deposits",
    filters=actions.Filters(am_id=am.id, team_id=team.id),
)
actions.new_deposit_review(selected, kind=KINDS[kind], key=f"new_deposits.{KINDS[kind]}.review")
