"""Staff (admins only): every account, and adding a person, changing a role, deactivating an
account and resetting a password, each through crm.staff and audited there."""

import streamlit as st

from dashboard import integrations_admin, staff_admin

st.title("Staff")
staff_admin.require_admin()
st.caption(
    "Roles: executives read the sales dashboard and the KPAs; sales and lead managers open "
    "every page and take every action; account managers see their own leads; admins also "
    "manage these accounts."
)
staff_admin.outcome()
accounts = staff_admin.accounts_table()
staff_admin.add_form()
staff_admin.change_forms(accounts)
integrations_admin.section()
