"""The call outcome (My leads): the AM logs a call to a lead of their list, with a callback in
the lead's own time; ``crm.actions.calls`` does the writing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pandas as pd
import streamlit as st

from crm import actions as crm_actions
from crm import reads
from crm import settings as crm_settings
from crm.settings import CallingHours, WorkingDays
from dashboard import formats, periods
from dashboard.actions.changes import lead_zone
from dashboard.actions.common import act, header, one_row, show_error, submit
from dashboard.viewer import crm_engine, current_viewer

CALL_OUTCOMES = {
    "connected": "Connected",
    "no_answer": "No answer (set a callback)",
    "wrong_number": 'Wrong number (sends the "reach you" mail)',
}


def call_outcome_form(
    selected: pd.DataFrame, *, key: str, am_id: int, next_in: str | None = None
) -> None:
    """The AM ``am_id``, signed in, logs a call to the one selected lead of their list
    (``lead_id``, ``version``, ``time_zone``): connected, no answer with a callback in the
    lead's own time, or wrong number. With ``next_in`` (the key of the ``lead_table`` the lead
    was selected in), a logged call selects the lead after it in that table: the next call."""
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
            hours, days = _floor_settings(disabled)
            default = crm_settings.default_callback(periods.now(), zone, hours, days)
            day_column, time_column = st.columns(2)
            # One pair of inputs per lead: each lead's default is its own next working morning.
            day = day_column.date_input(
                f"Callback day ({zone_name})",
                value=default.date(),
                key=f"{key}.{lead_id}.day",
                disabled=disabled,
            )
            clock = time_column.time_input(
                "Callback time (the lead's own clock)",
                value=default.time(),
                step=timedelta(minutes=15),
                key=f"{key}.{lead_id}.time",
                disabled=disabled,
            )
            if row is not None and day is not None and clock is not None:
                st.caption(callback_words(day, clock, zone_name, hours, days))
        recent = _recent_call(lead_id, am_id) if not disabled else None
        if recent is not None:
            ago = int((periods.now() - recent.started_at).total_seconds())
            # Keyed by the first call: a later one needs its own confirmation.
            st.checkbox(
                f"This call replaces the one you logged {ago} s ago "
                f"({CALL_OUTCOMES.get(recent.outcome, recent.outcome)})",
                key=f"{key}.{lead_id}.replaces.{recent.call_id}",
                disabled=disabled,
            )
        submit(
            "Log call",
            key,
            _log_call,
            (lead_id, int(row["version"]), recent.call_id if recent is not None else None)
            if row is not None
            else None,
            next_in,
            type="primary",
            disabled=disabled,
        )
        show_error(key)


def callback_words(
    day: date, clock: time, zone_name: str, hours: CallingHours, days: WorkingDays
) -> str:
    """The callback in words, on the lead's clock: "Mon 16 Mar, 10:00 in London", with what is
    off about it (a day the floor does not work, an hour outside the calling hours)."""
    # The zone's city, as text: a zone another program wrote may hold any characters.
    place = formats.plain((zone_name or "UTC").rsplit("/", 1)[-1].replace("_", " "))
    words = f"Callback: {day:%a} {day.day} {day:%b}, {clock:%H:%M} in {place}"
    if not days.contains(day):
        words += f"; a {day:%A}, not a working day ({days})"
    if not hours.contains(clock):
        words += f"; outside the calling hours {hours}"
    return words


def _floor_settings(disabled: bool) -> tuple[CallingHours, WorkingDays]:
    """The CRM's calling hours and working days (their defaults for a disabled form)."""
    if disabled:
        return crm_settings.DEFAULT_CALLING_HOURS, crm_settings.DEFAULT_WORKING_DAYS
    with crm_engine().connect() as connection:
        return crm_settings.calling_hours(connection), crm_settings.working_days(connection)


def _recent_call(lead_id: int | None, am_id: int):
    """The AM's call on the lead in the last minute (``crm.actions.REPLACE_WINDOW``), or None."""
    if lead_id is None:
        return None
    since = periods.now().astimezone(timezone.utc) - crm_actions.REPLACE_WINDOW
    with crm_engine().connect() as connection:
        return reads.recent_call(connection, lead_id, am_id, since)


def _log_call(
    key: str, action_id: str, lead: tuple[int, int, int | None], next_in: str | None
) -> None:
    state = st.session_state
    lead_id, version, recent_call_id = lead
    replaces = None
    if recent_call_id is not None and state.get(f"{key}.{lead_id}.replaces.{recent_call_id}"):
        replaces = recent_call_id
    outcome = state.get(f"{key}.outcome")
    callback = None
    if outcome == "no_answer" or (outcome == "connected" and state.get(f"{key}.later")):
        day: date | None = state.get(f"{key}.{lead_id}.day")
        clock: time | None = state.get(f"{key}.{lead_id}.time")
        if day is not None and clock is not None:
            # The lead's wall-clock time: the CRM places it in the lead's zone.
            callback = datetime.combine(day, clock)
    minutes = int(state.get(f"{key}.minutes") or 0) if outcome == "connected" else 0
    logged = act(
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
            replaces=replaces,
        ),
    )
    if logged is not None and next_in is not None:
        _select_next(next_in, lead_id)


def _select_next(table: str, lead_id: int) -> None:
    """Select the lead after ``lead_id`` in the lead table ``table``, in the order it showed
    them (``lead_table.show`` keeps the shown lead ids as ``<table>.rows``); none after the
    last. The table keeps the selection while its rows stay the same."""
    shown = list(st.session_state.get(f"{table}.rows") or ())
    if lead_id in shown and shown.index(lead_id) + 1 < len(shown):
        following = shown.index(lead_id) + 1
        st.session_state[table] = {"selection": {"rows": [following], "columns": [], "cells": []}}
