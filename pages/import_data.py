"""Import (lead managers): leads, deposits or calls from a CSV or Excel file, checked as the
ingest API checks them; a dry run first, then the import, all or nothing."""

import streamlit as st

from dashboard import imports

st.title("Import")
imports.require_manager()
st.caption(
    "Bring in what arrives as files: a fair's leads, a provider's deposit report, a dialer's "
    "call log. Check it first: the dry run says for every row whether it is new, a duplicate "
    "or invalid, and why. An import that fails writes nothing."
)
kind, source, table, file_name = imports.file_and_kind()
if table is not None:
    mapping = imports.column_mapping(kind, table)
    imports.buttons(kind, file_name)
    imports.run_requested(kind, source, table, file_name, mapping)
imports.report()
imports.waiting_events()
