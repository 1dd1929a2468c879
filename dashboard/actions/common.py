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
# How many leads a widget names in a line before it says "and N more".
SHOWN = 5


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
    clear_selections()
    st.toast(formats.plain(result.message))
    return now


def clear_selections() -> None:
    """Clear the selection of every lead table (``lead_table.show`` keeps ``<key>.rows`` beside
    each): after an action the rows it acted on are no longer selected, so its button is not
    ready again until the person selects something new."""
    state = st.session_state
    for key in [key for key in state if isinstance(key, str) and f"{key}.rows" in state]:
        state[key] = {"selection": {"rows": [], "columns": [], "cells": []}}


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


def star_choice(key: str, default: bool, disabled: bool) -> None:
    """The "star for the AM now" box of an assignment form (issue 22): on, the assignment also
    puts the leads on the AM's list, in the same action."""
    st.checkbox(
        "Star for the AM now (on their list at once)",
        value=default,
        key=f"{key}.star",
        disabled=disabled,
    )


def ownership(
    selected: pd.DataFrame, am_id: int | None, am_name: str | None, *, taking_reason: str | None
) -> int:
    """What assigning ``selected`` to ``am_id`` does to the leads' owners, read from the CRM
    now: the leads another AM owns (who, since when, what they earned from it, and the credit
    rule; the action needs ``taking_reason`` and a note), and the leads assigned but not on
    their AM's list yet. Returns how many leads it would take from another AM."""
    if selected.empty or "lead_id" not in selected:
        return 0
    lead_ids = sorted({int(lead_id) for lead_id in selected["lead_id"]})
    names: dict[int, str] = {}
    if "lead_name" in selected:
        names = {
            int(lead_id): name
            for lead_id, name in zip(selected["lead_id"], selected["lead_name"], strict=True)
            if isinstance(name, str) and name
        }
    with crm_engine().connect() as connection:
        owners = reads.lead_owners(connection, lead_ids)
        starred = {
            row["lead_id"]
            for row in reads.lead_states(connection, list(owners))
            if row["is_starred"]
        }
    taken = [owner for owner in owners.values() if owner.am_id != am_id]
    waiting = [owner for owner in owners.values() if owner.lead_id not in starred]

    def lead_name(lead_id: int) -> str:
        return names.get(lead_id, f"lead {lead_id}")

    if taken:
        lines = [f"{lead_name(owner.lead_id)} is {owner.words()}." for owner in taken[:SHOWN]]
        if len(taken) > SHOWN:
            lines.append(f"And {len(taken) - SHOWN:,} more owned by other AMs.")
        previous = ", ".join(sorted({owner.am_name for owner in taken}))
        how = f'the reason "{words(taking_reason)}" and ' if taking_reason else ""
        lines.append(
            f"Taking {lead_count(len(taken))} from {previous}: deposits made so far stay "
            f"credited to {previous}; deposits from now on are credited to "
            f"{am_name or 'the AM you choose'}. It needs {how}a note saying why."
        )
        st.warning("\n\n".join(formats.plain(line) for line in lines))
    if waiting:
        shown = "; ".join(
            f"{lead_name(owner.lead_id)}: assigned to {owner.am_name}, not on their list yet"
            for owner in waiting[:SHOWN]
        )
        more = f"; and {len(waiting) - SHOWN:,} more" if len(waiting) > SHOWN else ""
        st.caption(formats.plain(f"{shown}{more}."))
    return len(taken)


def am_name(desk: str | None, am_id: int | None) -> str | None:
    """The label of the AM ``am_id`` among the active AMs of ``desk``."""
    return None if am_id is None else _account_managers(desk).get(am_id)


def owner_of(lead_id: int | None) -> int | None:
    """The AM who owns ``lead_id`` now, read from the CRM: the default of an assignment that
    should keep the lead with its AM unless the manager chooses otherwise."""
    if lead_id is None:
        return None
    with crm_engine().connect() as connection:
        owner = reads.lead_owners(connection, [lead_id]).get(lead_id)
    return owner.am_id if owner is not None else None
