"""The deposit reviews (Failed deposits, New deposits): assign a declined deposit's lead with
the decline reason, assign a self deposit's lead for upsale, record an owned deposit on its
AM's target board; ``crm.actions.deposits`` does the writing."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm import actions as crm_actions
from dashboard import formats
from dashboard.actions import reviews
from dashboard.actions.changes import remember_rows
from dashboard.actions.common import (
    act,
    am_choice,
    am_name,
    header,
    one_row,
    owner_of,
    ownership,
    show_error,
    star_choice,
    submit,
)
from dashboard.viewer import current_viewer


def failed_deposit_review(selected: pd.DataFrame, *, key: str) -> None:
    """Assign the lead of the one selected declined deposit (``deposit_id``, ``lead_id``,
    ``version``, ``decline_reason``, ``am_id``, ``desk``) to an AM of its desk, its owner
    first, with a note that states the decline reason; starred for the AM now by default (the
    client is ready to deposit). Another AM's lead is shown with its owner before it is taken."""
    if len(selected) > 1:
        reviews.failed_deposits_form(selected, key=key)
        return
    viewer = current_viewer()
    with st.container(border=True):
        disabled = header("Assign with the decline reason", viewer, one_row(selected, "deposit"))
        row = selected.iloc[0] if len(selected) == 1 else None
        owner = None
        if row is not None and not pd.isna(row.get("am_id")):
            owner = int(row["am_id"])
        desk = row.get("desk") if row is not None else None
        deposit_id = int(row["deposit_id"]) if row is not None else None
        # One choice per deposit: each starts on its own lead's owner.
        am_id = am_choice(f"{key}.{deposit_id}.am", desk, viewer, disabled, default=owner)
        taking = 0
        if not disabled:
            taking = ownership(selected, am_id, am_name(desk, am_id), taking_reason=None)
        if row is not None:
            reason = row.get("decline_reason")
            reason = "no reason given" if pd.isna(reason) else reason
            # The CRM writes the decline (amount, method, provider, reason) as the note's first
            # sentence; the manager's words follow it.
            st.caption(formats.plain(f"The note states the decline first: declined: {reason}."))
        st.text_area(
            "Your words after it (why you take the lead)"
            if taking
            else "Your words after it (optional)",
            key=f"{key}.note",
            max_chars=crm_actions.NOTE_MAX_CHARS,
            placeholder="how the AM can help the client deposit",
            disabled=disabled,
        )
        star_choice(key, True, disabled)
        submit(
            "Assign with the decline reason",
            key,
            _failed_deposit,
            _deposit(row),
            type="primary",
            disabled=disabled,
        )
        show_error(key)


def _deposit(row) -> tuple[int, int] | None:
    if row is None:
        return None
    return int(row["deposit_id"]), int(row["version"])


def _failed_deposit(key: str, action_id: str, deposit: tuple[int, int]) -> None:
    state = st.session_state
    deposit_id, version = deposit

    def perform(engine, **who):
        return crm_actions.assign_failed_deposit(
            engine,
            **who,
            deposit_id=deposit_id,
            am_id=state.get(f"{key}.{deposit_id}.am"),
            version=version,
            note=state.get(f"{key}.note"),
            star=bool(state.get(f"{key}.star")),
        )

    now = act(key, action_id, perform)
    if now is not None:
        remember_rows(
            "deposit_id", [deposit_id], now, {"is_reviewed": True, "reviewed_at": pd.Timestamp(now)}
        )
        state[f"{key}.note"] = ""


def new_deposit_review(selected: pd.DataFrame, *, kind: str, key: str) -> None:
    """The one selected new deposit (``deposit_id``, ``lead_id``, ``version``, ``desk``):
    ``kind`` "self" assigns its lead for upsale, as a high-priority lead, to an AM of its desk
    (its owner first; starred for the AM now by default); "owned" records it on the target
    board of the AM it is credited to (many at once: ``reviews.target_boards_form``)."""
    if kind == "owned" and len(selected) > 1:
        reviews.target_boards_form(selected, key=key)
        return
    viewer = current_viewer()
    with st.container(border=True):
        title = "Assign for upsale" if kind == "self" else "Record on the target board"
        disabled = header(title, viewer, one_row(selected, "deposit"))
        row = selected.iloc[0] if len(selected) == 1 else None
        if kind == "self":
            desk = row.get("desk") if row is not None else None
            lead_id = int(row["lead_id"]) if row is not None else None
            owner = owner_of(lead_id) if not disabled else None
            # One choice per deposit: each starts on its own lead's owner.
            am_id = am_choice(f"{key}.{lead_id}.am", desk, viewer, disabled, default=owner)
            taking = 0
            if not disabled:
                taking = ownership(selected, am_id, am_name(desk, am_id), taking_reason=None)
            st.text_input(
                "Note (why you take the lead)" if taking else "Note (optional)",
                key=f"{key}.note",
                max_chars=crm_actions.NOTE_MAX_CHARS,
                disabled=disabled,
            )
            star_choice(key, True, disabled)
            submit(
                "Assign for upsale, high priority",
                key,
                _upsale,
                _deposit(row) + (lead_id,) if row is not None else None,
                type="primary",
                disabled=disabled,
            )
        else:
            credited = row.get("credited_am_name") if row is not None else None
            label = "Record on the AM's target board"
            if isinstance(credited, str) and credited:
                label = f"Record on {credited}'s target board"
            submit(label, key, _target_board, _deposit(row), type="primary", disabled=disabled)
        show_error(key)


def _upsale(key: str, action_id: str, deposit: tuple[int, int, int]) -> None:
    state = st.session_state
    deposit_id, version, lead_id = deposit

    def perform(engine, **who):
        return crm_actions.assign_for_upsale(
            engine,
            **who,
            deposit_id=deposit_id,
            am_id=state.get(f"{key}.{lead_id}.am"),
            version=version,
            note=state.get(f"{key}.note"),
            star=bool(state.get(f"{key}.star")),
        )

    now = act(key, action_id, perform)
    if now is not None:
        remember_rows(
            "deposit_id",
            [deposit_id],
            now,
            {"is_upsale_assigned": True, "upsale_assigned_at": pd.Timestamp(now)},
        )
        state[f"{key}.note"] = ""


def _target_board(key: str, action_id: str, deposit: tuple[int, int]) -> None:
    deposit_id, _ = deposit
    now = act(
        key,
        action_id,
        lambda engine, **who: crm_actions.record_on_target_board(
            engine, **who, deposit_id=deposit_id
        ),
    )
    if now is not None:
        remember_rows("deposit_id", [deposit_id], now, {"on_target_board": True})
