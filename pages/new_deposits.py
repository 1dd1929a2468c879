"""Being built this session (issue 4)."""

import streamlit as st

st.title("new_deposits")
st.info("This page is being built.")
