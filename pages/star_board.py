"""Being built this session (issue 4)."""

import streamlit as st

st.title("star_board")
st.info("This page is being built.")
