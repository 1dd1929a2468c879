"""Being built this session (issue 4)."""

import streamlit as st

st.title("support_issues")
st.info("This page is being built.")
