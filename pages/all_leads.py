"""Being built this session (issue 4)."""

import streamlit as st

st.title("all_leads")
st.info("This page is being built.")
