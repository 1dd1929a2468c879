"""Being built this session (issue 4)."""

import streamlit as st

st.title("log_report")
st.info("This page is being built.")
