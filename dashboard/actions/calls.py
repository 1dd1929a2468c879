"""The call outcome (My leads): the AM logs a call to a lead of their list, with a callback in
the lead's own time; ``crm.actions.calls`` does the writing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from crm import actions as crm_actions
from dashboard import periods
from dashboard.actions.changes import lead_zone
from dashboard.actions.common import act, header, one_row, show_error, submit
from dashboard.viewer import current_viewer

CALL_OUTCOMES = {
    "connected": "Connected",
    "no_answer": "No answer (set a callback)",
    "wrong_number": 'Wrong number (sends the "reach you" mail)',
}
CALLBACK_HOUR = time(10, 0)


def call_outcome_form(selected: pd.DataFrame, *, key: str, am_id: int) -> None:
    """The AM ``am_id``, signed in, logs a call to the one selected lead of their list
    (``lead_id``, ``version``, ``time_zone``): connected, no answer with a callback in the
    lead's own time, or wrong number."""
    viewer = current_viewer()
    why_not = one_row(selected, "lead")
    if viewer is not None and viewer.staff_id != am_id:
        why_not = "Calls are logged by the AM who made them, from their own list."
    with st.container(border=True):
        disabled = header("Log a call", viewer, why_not)
        row = selected.iloc[0] if len(selected) == 1 else None
        outcome = st.radio(
            "Outcome",
            list(CALL_OUTCOMES),
            format_func=CALL_OUTCOMES.get,
            horizontal=True,
            key=f"{key}.outcome",
            disabled=disabled,
        )
        st.number_input(
            "Minutes talked",
            min_value=0,
            max_value=24 * 60,
            value=0,
            step=1,
            key=f"{key}.minutes",
            disabled=disabled or outcome != "connected",
        )
        lead_id = int(row["lead_id"]) if row is not None else None
        wants_callback = outcome == "no_answer"
        if outcome == "connected":
            wants_callback = st.checkbox("Set a callback", key=f"{key}.later", disabled=disabled)
        if wants_callback:
            zone_name = row["time_zone"] if row is not None else "UTC"
            zone = lead_zone(zone_name)
            tomorrow = periods.now().astimezone(zone).date() + timedelta(days=1)
            day_column, time_column = st.columns(2)
            # One pair of inputs per lead: each lead's default is its own tomorrow morning.
            day_column.date_input(
                f"Callback day ({zone_name})",
                value=tomorrow,
                key=f"{key}.{lead_id}.day",
                disabled=disabled,
            )
            time_column.time_input(
                "Callback time (the lead's own clock)",
                value=CALLBACK_HOUR,
                step=timedelta(minutes=15),
                key=f"{key}.{lead_id}.time",
                disabled=disabled,
            )
        submit(
            "Log call",
            key,
            _log_call,
            (lead_id, int(row["version"])) if row is not None else None,
            type="primary",
            disabled=disabled,
        )
        show_error(key)


def _log_call(key: str, action_id: str, lead: tuple[int, int]) -> None:
    state = st.session_state
    lead_id, version = lead
    outcome = state.get(f"{key}.outcome")
    callback = None
    if outcome == "no_answer" or (outcome == "connected" and state.get(f"{key}.later")):
        day: date | None = state.get(f"{key}.{lead_id}.day")
        clock: time | None = state.get(f"{key}.{lead_id}.time")
        if day is not None and clock is not None:
            # The lead's wall-clock time: the CRM places it in the lead's zone.
            callback = datetime.combine(day, clock)
    minutes = int(state.get(f"{key}.minutes") or 0) if outcome == "connected" else 0
    act(
        key,
        action_id,
        lambda engine, **who: crm_actions.log_call(
            engine,
            **who,
            lead_id=lead_id,
            version=version,
            outcome=outcome,
            duration_s=minutes * 60,
            callback_at=callback,
        ),
    )
