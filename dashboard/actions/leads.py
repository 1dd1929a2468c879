"""The lead widgets (All leads, Online advanced, Last logged in, the Star board): assign the
selected leads (with undo of a bulk assignment), star and unstar them, a note on one;
``crm.actions.leads`` does the writing."""

from __future__ import annotations

from datetime import timezone

import pandas as pd
import streamlit as st

from crm import actions as crm_actions
from dashboard import periods
from dashboard.actions.changes import utc
from dashboard.actions.common import (
    SIGN_IN,
    act,
    am_choice,
    am_name,
    header,
    lead_count,
    one_row,
    ownership,
    seen_versions,
    show_error,
    star_choice,
    submit,
    words,
)
from dashboard.data import viewer_time_zone
from dashboard.viewer import Viewer, crm_engine, current_viewer

# The reasons the lead pages assign for; failed deposits and upsales have their own reviews.
LEAD_REASONS = ("new_lead", "follow_up", "reassignment", "retention")


def assign_form(
    selected: pd.DataFrame,
    *,
    key: str,
    reasons: tuple[str, ...] = LEAD_REASONS,
    star: bool = False,
) -> None:
    """Assign the selected leads (``lead_id``, ``version``, ``desk``) to an active AM of their
    desk (the retention desk for the retention reason), with a reason and an optional note; up
    to ``crm.actions.BULK_LIMIT`` at once; "star for the AM now" on by default with ``star``
    (urgent work: a live online lead). Leads another AM owns are shown with their owner before
    they are taken. Undo of the viewer's bulk assignments below it."""
    viewer = current_viewer()
    count = len(selected)
    why_not = None
    if selected.empty:
        why_not = "Select leads in the table to assign them."
    elif count > crm_actions.BULK_LIMIT:
        why_not = f"{count:,} leads selected: assign at most {crm_actions.BULK_LIMIT:,} at once."
    with st.container(border=True):
        disabled = header("Assign", viewer, why_not)
        reason_column, am_column = st.columns(2)
        with reason_column:
            reason = st.selectbox(
                "Reason", reasons, format_func=words, key=f"{key}.reason", disabled=disabled
            )
        desks = set(selected["desk"].dropna()) if "desk" in selected else set()
        desk = "retention" if reason == "retention" else (desks.pop() if len(desks) == 1 else None)
        with am_column:
            am_id = am_choice(f"{key}.am", desk, viewer, disabled)
        taking = 0
        if not disabled and reason != "retention":
            taking = ownership(
                selected, am_id, am_name(desk, am_id), taking_reason=crm_actions.TAKE_REASON
            )
        st.text_input(
            "Note (why you take them)" if taking else "Note (optional)",
            key=f"{key}.note",
            max_chars=crm_actions.NOTE_MAX_CHARS,
            disabled=disabled,
        )
        star_choice(key, star, disabled)
        submit(
            f"Assign {lead_count(count)}" if count else "Assign",
            key,
            _assign,
            seen_versions(selected) if count else {},
            type="primary",
            disabled=disabled,
        )
        show_error(key)
        with st.expander("Undo a bulk assignment of this shift"):
            undo_form(key=f"{key}.undo", viewer=viewer)


def _assign(key: str, action_id: str, seen: dict[int, int]) -> None:
    state = st.session_state

    def perform(engine, **who):
        return crm_actions.assign(
            engine,
            **who,
            leads=seen,
            am_id=state.get(f"{key}.am"),
            reason=state.get(f"{key}.reason"),
            note=state.get(f"{key}.note"),
            star=bool(state.get(f"{key}.star")),
        )

    if act(key, action_id, perform) is not None:
        state[f"{key}.note"] = ""


def star_buttons(selected: pd.DataFrame, *, key: str) -> None:
    """Star or unstar the selected leads (``lead_id``, ``version``)."""
    viewer = current_viewer()
    count = len(selected)
    why_not = "Select leads in the table to star or unstar them." if selected.empty else None
    with st.container(border=True):
        disabled = header("Star", viewer, why_not)
        seen = seen_versions(selected) if count else {}
        star_column, unstar_column = st.columns(2)
        with star_column:
            submit(
                f"Star {lead_count(count)}" if count else "Star",
                f"{key}.star",
                _star,
                seen,
                crm_actions.star,
                icon="⭐",
                disabled=disabled,
            )
        with unstar_column:
            submit(
                f"Unstar {lead_count(count)}" if count else "Unstar",
                f"{key}.unstar",
                _star,
                seen,
                crm_actions.unstar,
                disabled=disabled,
            )
        show_error(f"{key}.star")
        show_error(f"{key}.unstar")


def _star(key: str, action_id: str, seen: dict[int, int], action) -> None:
    act(key, action_id, lambda engine, **who: action(engine, **who, leads=seen))


def note_form(selected: pd.DataFrame, *, key: str) -> None:
    """A note on the one selected lead."""
    viewer = current_viewer()
    with st.container(border=True):
        disabled = header("Note", viewer, one_row(selected, "lead"))
        lead_id = int(selected["lead_id"].iloc[0]) if len(selected) == 1 else None
        st.text_area(
            "Note",
            key=f"{key}.body",
            max_chars=crm_actions.NOTE_MAX_CHARS,
            placeholder="what happened, what to do next",
            disabled=disabled,
        )
        submit("Add note", key, _note, lead_id, disabled=disabled)
        show_error(key)


def _note(key: str, action_id: str, lead_id: int) -> None:
    state = st.session_state
    applied = act(
        key,
        action_id,
        lambda engine, **who: crm_actions.add_note(
            engine, **who, lead_id=lead_id, body=state.get(f"{key}.body")
        ),
    )
    if applied is not None:
        state[f"{key}.body"] = ""


def undo_form(*, key: str, viewer: Viewer | None) -> None:
    """Undo one of the viewer's own bulk assignments of this shift (the last
    ``crm.actions.UNDO_WINDOW``), not undone yet, from the audit log."""
    if viewer is None:
        st.caption(SIGN_IN)
        return
    choices = _my_bulk_assignments(viewer.staff_id)
    if not choices:
        st.caption(
            "No bulk assignment of yours to undo in the last "
            f"{crm_actions.UNDO_WINDOW.total_seconds() / 3600:.0f} hours."
        )
        return
    chosen = st.selectbox(
        "Your bulk assignment", list(choices), format_func=choices.get, key=f"{key}.chosen"
    )
    submit("Undo it", key, _undo, chosen)
    show_error(key)


def _my_bulk_assignments(staff_id: int) -> dict[str, str]:
    """The viewer's assignments of more than one lead in the undo window, newest first, as
    ``{action id: label}``; the ones undone already left out."""
    with crm_engine().connect() as connection:
        assignments = crm_actions.undoable_assignments(
            connection, staff_id, periods.now().astimezone(timezone.utc)
        )
    zone = viewer_time_zone()
    return {
        row.action_id: f"{utc(row.at).tz_convert(zone):%H:%M} · "
        f"{(row.result or {}).get('message', lead_count(row.leads))}"
        for row in assignments
    }


def _undo(key: str, action_id: str, assignment_action_id: str) -> None:
    act(
        key,
        action_id,
        lambda engine, **who: crm_actions.undo_assignment(
            engine, **who, assignment_action_id=assignment_action_id
        ),
    )
