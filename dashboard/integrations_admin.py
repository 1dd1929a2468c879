"""The Staff page's integrations section (admins): the systems that send data in through the
ingest API, adding one (its key and webhook secret shown once), rotating and revoking keys.
Every change goes through crm.integrations as the signed-in admin, audited there."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm import integrations
from crm.errors import UserError
from crm.models import INTEGRATION_KINDS
from dashboard.viewer import crm_engine, current_viewer

SHOWN_ONCE_KEY = "integrations.shown_once"
MESSAGE_KEY = "integrations.message"


def section() -> None:
    st.subheader("Integrations (ingest API)")
    st.caption(
        "The brokerage's systems that send leads, logins, deposits and calls in "
        "(python -m api). A key is shown once, when it is made."
    )
    if message := st.session_state.pop(MESSAGE_KEY, None):
        (st.error if message[0] == "error" else st.success)(message[1])
    if shown := st.session_state.pop(SHOWN_ONCE_KEY, None):
        st.warning("Copy these now: they are shown this once and never again.")
        st.code(
            f"API key:        {shown.api_key}"
            + (f"\nwebhook secret: {shown.webhook_secret}" if shown.webhook_secret else ""),
            language=None,
        )
    rows = integrations.integration_list(crm_engine())
    table = pd.DataFrame(
        [
            {
                "name": r.name,
                "kind": r.kind,
                "key": f"sbk_{r.key_id}_…",
                "rate_per_second": r.rate_per_second,
                "active": bool(r.is_active),
                "created_at": r.created_at,
                "rotated_at": r.rotated_at,
            }
            for r in rows
        ]
    )
    if not table.empty:
        st.dataframe(
            table,
            hide_index=True,
            placeholder="",
            key="integrations.table",
            column_config={
                "name": "Name",
                "kind": "Kind",
                "key": "Key (its start)",
                "rate_per_second": st.column_config.NumberColumn("Requests a second", format="%d"),
                "active": st.column_config.CheckboxColumn("Key works"),
                "created_at": st.column_config.DatetimeColumn(
                    "Added (UTC)", format="YYYY-MM-DD HH:mm"
                ),
                "rotated_at": st.column_config.DatetimeColumn(
                    "Rotated (UTC)", format="YYYY-MM-DD HH:mm"
                ),
            },
        )
    add, change = st.columns(2)
    with add, st.form("integrations.add", clear_on_submit=True, border=True):
        st.markdown("**Add an integration**")
        st.text_input("Name (e.g. Website, Stripe)", key="integrations.add.name")
        st.selectbox("Kind", INTEGRATION_KINDS, key="integrations.add.kind")
        st.number_input(
            "Requests a second",
            min_value=1,
            max_value=100_000,
            value=50,
            step=10,
            key="integrations.add.rate",
        )
        st.form_submit_button("Add", on_click=_add)
    if rows:
        with change, st.form("integrations.change", border=True):
            st.markdown("**Rotate or revoke a key**")
            st.selectbox("Integration", [r.name for r in rows], key="integrations.change.name")
            rotate, revoke = st.columns(2)
            with rotate:
                st.form_submit_button("Rotate (new key)", on_click=_rotate)
            with revoke:
                st.form_submit_button("Revoke", on_click=_revoke)


def _admin() -> int:
    viewer = current_viewer()
    if viewer is None:
        raise UserError("you are signed out: sign in again.")
    return viewer.staff_id


def _add() -> None:
    state = st.session_state
    try:
        result, credentials = integrations.add_integration(
            crm_engine(),
            actor_id=_admin(),
            name=state["integrations.add.name"],
            kind=state["integrations.add.kind"],
            rate_per_second=int(state["integrations.add.rate"]),
        )
    except UserError as error:
        state[MESSAGE_KEY] = ("error", str(error))
        return
    state[MESSAGE_KEY] = ("ok", result.message)
    state[SHOWN_ONCE_KEY] = credentials


def _rotate() -> None:
    state = st.session_state
    try:
        result, credentials = integrations.rotate_integration(
            crm_engine(), actor_id=_admin(), name=state["integrations.change.name"]
        )
    except UserError as error:
        state[MESSAGE_KEY] = ("error", str(error))
        return
    state[MESSAGE_KEY] = ("ok", result.message)
    state[SHOWN_ONCE_KEY] = credentials


def _revoke() -> None:
    state = st.session_state
    try:
        result = integrations.revoke_integration(
            crm_engine(), actor_id=_admin(), name=state["integrations.change.name"]
        )
    except UserError as error:
        state[MESSAGE_KEY] = ("error", str(error))
        return
    state[MESSAGE_KEY] = ("ok", result.message)
