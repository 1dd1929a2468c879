"""Being built this session (issue 4)."""

import streamlit as st

st.title("last_logged_in")
st.info("This page is being built.")
