"""My leads: an account manager's work now, their starred leads in priority order with the
lead's local time, the calling hours, the callback and the last contact, where they log each
call's outcome; and their own figures of the day. A manager picks the AM whose list to see."""

import streamlit as st

from dashboard import actions, lead_table, navigation, periods, widgets
from dashboard.data import query
from dashboard.formats import plain
from dashboard.viewer import current_viewer
from dashboard.widgets import Tile

TILES = [
    Tile("Calls", "calls", "count"),
    Tile("Connected calls", "connected_calls", "count"),
    Tile("Call ratio", "call_ratio", "ratio"),
    Tile("Deposits", "deposits", "count"),
    Tile("Deposit USD", "deposit_usd", "usd"),
    Tile("FTDs", "ftds", "count"),
]
COLUMNS = [
    "phone",
    "email",
    "callback_local",
    "starred_because",
    "manager_note",
    "status",
    "priority",
    "country",
    "time_zone",
]
SHOWS = (
    "the leads starred for you, in the order to call them (callable now, then callbacks due, "
    "then the rest), with each lead's phone and e-mail, local time, the callback, why the lead "
    "was starred, the manager's latest note, the last contact and why it ranks there"
)

st.title("My leads")
run = widgets.require_warehouse()
viewer = current_viewer()
if viewer is None:
    st.info("Sign in to see the leads starred for you and to log your calls.")
    st.stop()
if viewer.role == navigation.ACCOUNT_MANAGER:
    am_id, am_name = viewer.staff_id, viewer.name
else:
    team_column, am_column = st.columns(2)
    with team_column:
        team = widgets.team_filter("my_leads.team")
    with am_column:
        am = widgets.am_filter("my_leads.am", team)
    if am.id is None:
        st.info("Choose an AM to see the leads starred for them and their figures of the day.")
        st.stop()
    am_id, am_name = am.id, am.name
widgets.freshness_line(run)

today = periods.today()
yesterday = periods.Period(today, today).previous()
st.subheader(plain(f"{am_name} today"))
scope = dict(team_id=None, am_id=am_id)
totals = query("sales_totals", first_day=today, last_day=today, **scope).iloc[0].to_dict()
# Today's calls as the CRM holds them now: a call logged below counts at once.
totals = actions.with_calls_now(totals, am_id, today)
before = query("sales_totals", first_day=yesterday.first, last_day=yesterday.last, **scope).iloc[0]
widgets.kpi_tiles(TILES, totals, before.to_dict(), f"yesterday {yesterday.label()}")

st.subheader("Starred leads")
st.caption(
    "In the order to call them: the leads inside their calling hours now, then the callbacks "
    "due, then the rest, each by priority. After a call the next lead is selected."
)
clock = lead_table.clock()
# With the leads starred for the AM since the ETL's run (by anyone), phone and note included.
leads = query(
    "my_leads",
    **clock,
    am_id=am_id,
    lead_ids=actions.newly_starred(am_id),
    limit=lead_table.ROW_LIMIT,
)
if leads.empty:
    st.info(
        f"No lead is starred for {am_name} now: a manager stars the leads to work "
        "(the star board's end of shift stars the next working day's callbacks)."
    )
    st.stop()
selected = lead_table.show(
    leads,
    COLUMNS,
    key="my_leads.table",
    file_name="my-leads.csv",
    shows=SHOWS,
    noun="starred leads",
    filters=actions.Filters(am_id=am_id, starred=True),
)
# After a call the next lead of the list is selected, ready for the next call.
actions.call_outcome_form(selected, key="my_leads.call", am_id=am_id, next_in="my_leads.table")
