"""Distribution (lead and sales managers): the rules that assign new leads to AMs on shift,
today's pools and waiting leads, the AMs' shifts and leave, and the replay of a past period
before a rule is switched on."""

import streamlit as st

from dashboard import distribution, distribution_rules, shifts

st.title("Distribution")
distribution.require_manager()
st.caption(
    "New leads go to the first matching rule's pool: AMs active, on shift in their own time "
    "zone, not on leave and below the caps, in weighted turns. Each assignment says why."
)
distribution.outcome()
distribution.today_section()
distribution_rules.rules_section()
shifts.shifts_section()
distribution.runs_section()
distribution.replay_section()
