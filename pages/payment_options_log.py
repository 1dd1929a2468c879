"""Being built this session (issue 4)."""

import streamlit as st

st.title("payment_options_log")
st.info("This page is being built.")
