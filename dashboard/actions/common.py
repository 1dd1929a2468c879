"""How every action widget acts (see ``dashboard.actions``): its button and action id, the
callback that runs the CRM action for the signed-in person, its error line, and the pieces the
forms share (the AM choice, the title with why the widget cannot act)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from crm import actions as crm_actions
from crm import reads
from crm.errors import UserError
from dashboard import formats, periods
from dashboard.actions.changes import remember
from dashboard.viewer import Viewer, crm_engine, current_viewer

SIGN_IN = "Sign in to act."


def _action_id(key: str) -> str:
    return st.session_state.setdefault(f"{key}.action_id", crm_actions.new_action_id())


def submit(label: str, key: str, callback: Callable, *args, **options) -> None:
    """The button that runs ``callback(key, action_id, *args)`` with this widget's action id.

    The button's key holds the id. Once a success renews the id, the page is drawn with a new
    button: the second click of a double click, sent from the page drawn before, then finds no
    button and does nothing; if it arrives before the page is drawn again, it still carries the
    first click's id, and the CRM answers with the first result without writing again.
    """
    action_id = _action_id(key)
    st.button(
        label,
        key=f"{key}.submit.{action_id}",
        on_click=callback,
        args=(key, action_id, *args),
        **options,
    )


def act(
    key: str, action_id: str, perform: Callable[..., crm_actions.ActionResult]
) -> datetime | None:
    """Run ``perform(engine, actor_id=..., action_id=..., now=...)`` for the signed-in person:
    the callback behind every widget's button. Returns the action's moment when it applied."""
    st.session_state.pop(f"{key}.error", None)
    now = periods.now()
    try:
        viewer = current_viewer()
        if viewer is None:
            raise UserError(SIGN_IN)
        engine = crm_engine()
        result = perform(engine, actor_id=viewer.staff_id, action_id=action_id, now=now)
        remember(engine, result, now)
    except UserError as error:
        st.session_state[f"{key}.error"] = str(error)
        return None
    except sa.exc.DBAPIError as error:
        st.session_state[f"{key}.error"] = (
            f"the CRM did not take the change ({type(error.orig).__name__}): nothing was "
            "saved; try again in a moment."
        )
        return None
    st.session_state[f"{key}.action_id"] = crm_actions.new_action_id()
    st.toast(formats.plain(result.message))
    return now


def show_error(key: str) -> None:
    error = st.session_state.get(f"{key}.error")
    if error:
        st.error(formats.plain(error))


def words(reason: str) -> str:
    return reason.replace("_", " ")


def seen_versions(rows: pd.DataFrame) -> dict[int, int]:
    """``{lead id: version}`` as the page showed them."""
    pairs = rows[["lead_id", "version"]].drop_duplicates()
    return {int(lead): int(version) for lead, version in pairs.itertuples(index=False)}


def lead_count(count: int) -> str:
    return f"{count:,} lead" + ("" if count == 1 else "s")


def _account_managers(desk: str | None) -> dict[int, str]:
    """The active AMs (of ``desk``; any desk when None), read from the CRM now: the choice an
    action will accept, not the one of the last ETL run."""
    with crm_engine().connect() as connection:
        return reads.active_account_managers(connection, desk)


def am_choice(
    key: str, desk: str | None, viewer: Viewer | None, disabled: bool, default: int | None = None
) -> int | None:
    ams = _account_managers(desk) if viewer is not None else {}
    options = list(ams)
    index = options.index(default) if default in ams else None
    where = f" of the {desk} desk" if desk else ""
    return st.selectbox(
        "Account manager",
        options,
        index=index,
        format_func=lambda am_id: ams.get(am_id, str(am_id)),
        placeholder=f"Choose an active AM{where}",
        key=key,
        disabled=disabled,
    )


def one_row(selected: pd.DataFrame, noun: str) -> str | None:
    """Why a one-row widget cannot act on ``selected``, or None."""
    if selected.empty:
        return f"Select a {noun} in the table."
    if len(selected) > 1:
        return f"Select one {noun} at a time ({len(selected):,} are selected)."
    return None


def header(title: str, viewer: Viewer | None, why_not: str | None) -> bool:
    """The widget's title and why it cannot act now; True when it is disabled."""
    st.markdown(f"**{title}**")
    if viewer is None:
        st.caption(SIGN_IN)
        return True
    if why_not:
        st.caption(why_not)
        return True
    return False
