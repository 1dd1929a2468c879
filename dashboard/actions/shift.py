"""End of shift (the Star board): a preview of ``crm.shift``'s plan, then a confirm that
applies exactly that plan (``crm.actions.end_of_shift``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm import actions as crm_actions
from crm import settings as crm_settings
from crm.errors import UserError
from crm.shift import ShiftPlan, plan_end_of_shift
from dashboard import formats, periods
from dashboard.actions.common import SIGN_IN, act, header, lead_count, show_error, submit
from dashboard.data import viewer_time_zone
from dashboard.viewer import crm_engine, current_viewer

PREVIEW_ROWS = 200


def end_of_shift_form(
    *, key: str, team_id: int | None = None, am_id: int | None = None, scope: str | None = None
) -> None:
    """End of shift for the whole floor, one team (``team_id``) or one AM (``am_id``), named
    ``scope``: a preview of the plan (the viewer's day, now, the CRM's calling hours) per AM,
    then a confirm that applies exactly that plan in one transaction."""
    viewer = current_viewer()
    scope = scope or "the whole floor"
    with st.container(border=True):
        disabled = header(formats.plain(f"End of shift for {scope}"), viewer, None)
        st.caption(
            "Unstars the leads starred now, stars the leads whose callback falls by the lead's "
            "next working day (Monday after a Friday) inside the calling hours of its own day, "
            "and stars again the missed callbacks (fell due, nobody called). Preview it, then "
            "confirm."
        )
        # A plan previewed for another team or AM is not this one.
        if st.session_state.get(f"{key}.scope") != (team_id, am_id):
            st.session_state.pop(f"{key}.plan", None)
        preview_column, confirm_column, cancel_column = st.columns(3)
        preview_column.button(
            "Preview end of shift",
            key=f"{key}.preview",
            disabled=disabled,
            on_click=_preview_shift,
            args=(key, team_id, am_id, scope),
        )
        plan: ShiftPlan | None = st.session_state.get(f"{key}.plan")
        with confirm_column:
            submit(
                "Confirm end of shift",
                key,
                _end_of_shift,
                plan,
                type="primary",
                disabled=disabled or plan is None,
            )
        cancel_column.button(
            "Cancel",
            key=f"{key}.cancel",
            disabled=disabled or plan is None,
            on_click=lambda: st.session_state.pop(f"{key}.plan", None),
        )
        show_error(key)
        if plan is not None and viewer is not None:
            _show_plan(plan, st.session_state.get(f"{key}.hours"))


def _preview_shift(key: str, team_id: int | None, am_id: int | None, scope: str) -> None:
    st.session_state.pop(f"{key}.error", None)
    try:
        viewer = current_viewer()
        if viewer is None:
            raise UserError(SIGN_IN)
        with crm_engine().connect() as connection:
            hours = crm_settings.calling_hours(connection)
            plan = plan_end_of_shift(
                connection,
                viewer_time_zone(),
                periods.now(),
                hours,
                team_id=team_id,
                am_id=am_id,
                scope=scope,
            )
    except UserError as error:
        st.session_state[f"{key}.error"] = str(error)
        return
    st.session_state[f"{key}.plan"] = plan
    st.session_state[f"{key}.scope"] = (team_id, am_id)
    st.session_state[f"{key}.hours"] = str(hours)


def _show_plan(plan: ShiftPlan, hours: str | None) -> None:
    st.caption(
        f"End of shift of {plan.day:%a %d %b} for {formats.plain(plan.scope)}, calling hours "
        f"{hours}: {lead_count(len(plan.unstar))} to unstar, {lead_count(len(plan.star))} to "
        f"star, {len(plan.carried):,} missed callback{'' if len(plan.carried) == 1 else 's'} "
        "carried over, "
        f"{lead_count(len(plan.skipped))} skipped."
    )
    per_am = pd.DataFrame(plan.per_am(), columns=["am_name", "unstar", "star", "carried"])
    if not per_am.empty:
        st.dataframe(
            per_am,
            column_config={
                "am_name": st.column_config.TextColumn("AM"),
                "unstar": st.column_config.NumberColumn("To unstar", format=formats.COUNT_COLUMN),
                "star": st.column_config.NumberColumn("To star", format=formats.COUNT_COLUMN),
                "carried": st.column_config.NumberColumn(
                    "Missed callbacks carried over", format=formats.COUNT_COLUMN
                ),
            },
            hide_index=True,
            placeholder="",
            key="shift.per_am",
        )
    callback = st.column_config.DatetimeColumn(
        "Callback (lead's time)", format="ddd YYYY-MM-DD HH:mm"
    )
    config = {
        "lead_id": st.column_config.NumberColumn("Lead #", format="%d"),
        "lead_name": st.column_config.TextColumn("Lead"),
        "time_zone": st.column_config.TextColumn("Time zone"),
        "callback_local": callback,
        "reason": st.column_config.TextColumn("Why not", width="large"),
    }
    for title, leads, key in (
        ("To star for the next working day", plan.star, "star"),
        ("Missed callbacks carried over", plan.carried, "carried"),
        ("To unstar", plan.unstar, "unstar"),
    ):
        st.markdown(f"{title}: {len(leads):,}")
        if leads:
            st.dataframe(
                _plan_rows([(lead, None) for lead in leads[:PREVIEW_ROWS]]),
                column_config=config,
                hide_index=True,
                placeholder="",
                key=f"shift.{key}",
            )
    if plan.skipped:
        st.markdown(f"Skipped: {len(plan.skipped):,}")
        st.dataframe(
            _plan_rows(plan.skipped[:PREVIEW_ROWS]),
            column_config=config,
            hide_index=True,
            placeholder="",
            key="shift.skipped",
        )


def _plan_rows(leads) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "lead_id": lead.lead_id,
                "lead_name": lead.name,
                "time_zone": lead.time_zone,
                # The lead's own wall clock, as its zone reads it: no viewer's zone applies.
                "callback_local": (
                    pd.Timestamp(lead.local_callback.replace(tzinfo=None))
                    if lead.local_callback is not None
                    else pd.NaT
                ),
                **({"reason": reason} if reason is not None else {}),
            }
            for lead, reason in leads
        ]
    )


def _end_of_shift(key: str, action_id: str, plan: ShiftPlan) -> None:
    applied = act(
        key,
        action_id,
        lambda engine, **who: crm_actions.end_of_shift(engine, **who, plan=plan),
    )
    if applied is not None:
        st.session_state.pop(f"{key}.plan", None)
