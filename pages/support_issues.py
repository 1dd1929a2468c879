"""F6 Support issues: the open and pending tickets, monitored through the day: how many of each
priority, and each ticket's age, priority, owner, lead and subject, highest or oldest first."""

import streamlit as st

from dashboard import formats, widgets
from dashboard.data import query

PRIORITIES = ("urgent", "high", "normal", "low")
ALL_OWNERS = "All owners"
UNOWNED = "Nobody (unowned)"
HIGHEST_FIRST = "Highest priority first"
OLDEST_FIRST = "Oldest first"
LIMIT = 1000
TICKET_COLUMNS = {
    "priority": st.column_config.TextColumn("Priority"),
    "age": st.column_config.TextColumn("Age", help="since the ticket was opened"),
    "subject": st.column_config.TextColumn("Subject", width="large"),
    "lead_name": st.column_config.TextColumn("Lead"),
    "lead_am_name": st.column_config.TextColumn("Lead's AM"),
    "owner_name": st.column_config.TextColumn("Owner"),
    "status": st.column_config.TextColumn("Status"),
    "opened_at": st.column_config.DatetimeColumn("Opened", format="YYYY-MM-DD HH:mm"),
    "ticket_id": st.column_config.NumberColumn("Ticket", format="%d"),
}

st.title("Support issues")
run = widgets.require_warehouse()
owners = query("support_owners")
owner_ids = dict(zip(owners["owner_name"], owners["owner_id"], strict=True))
left, middle, right = st.columns(3)
with left:
    priorities = st.multiselect(
        "Priority", PRIORITIES, default=list(PRIORITIES), key="support.priority"
    )
with middle:
    owner = st.selectbox("Owner", [ALL_OWNERS, UNOWNED, *owner_ids], key="support.owner")
with right:
    order = st.selectbox("Order", [HIGHEST_FIRST, OLDEST_FIRST], key="support.order")
widgets.freshness_line(run)

now = widgets.query_moment()
whose = dict(
    owner_id=int(owner_ids[owner]) if owner in owner_ids else None, unowned=owner == UNOWNED
)
counts = query("support_counts", now=now, **whose)
if not counts["tickets"].sum():
    widgets.empty_state(
        "the open and pending support tickets: how many of each priority, and each ticket's "
        "age, priority, owner, lead and subject, highest priority or oldest first"
    )
    st.stop()

total, *per_priority = st.columns(len(counts) + 1)
total.metric("Open tickets", formats.count(counts["tickets"].sum()))
for column, row in zip(per_priority, counts.to_dict("records"), strict=True):
    column.metric(
        row["priority"].capitalize(),
        formats.count(row["tickets"]),
        help=f"oldest open for {formats.duration(row['oldest_hours'] * 3600)}"
        if row["tickets"]
        else None,
    )

tickets = query(
    "support_tickets_open",
    now=now,
    priorities=list(priorities),
    oldest_first=order == OLDEST_FIRST,
    limit=LIMIT,
    **whose,
)
if tickets.empty:
    st.info("No open ticket of the chosen priorities: choose more priorities above.")
    st.stop()
# Ages in words ("4 d 4 h"), not hours with a decimal; the query's order stays.
tickets["age"] = [formats.duration(hours * 3600) for hours in tickets["age_hours"]]
shown = widgets.in_viewer_zone(tickets, "opened_at")[list(TICKET_COLUMNS)]
st.dataframe(
    shown,
    column_config=TICKET_COLUMNS,
    hide_index=True,
    placeholder="",
    key="support.tickets",
    height=widgets.table_height(len(shown)),
)
if len(tickets) == LIMIT:
    st.caption(f"the first {LIMIT:,} tickets in this order")
widgets.csv_export(shown, "support-issues.csv", key="support.export")
