"""The Distribution page's "Shifts and leave": each active AM's week in their own zone, one
AM's week edited day by day, and the leave under way or to come, added and cancelled.

A manager changing one AM's Tuesday picks the AM and retypes one box (the seven days sit side
by side, filled with the hours as they are), then saves the whole week through
``crm.actions.distribution.set_shifts``; leave goes through ``add_leave`` and
``cancel_leave``. Each from a callback (``dashboard.distribution.act``: the signed-in manager,
an action id renewed after a success), its one line shown above the page.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from crm.actions import distribution as dist
from crm.distribution.availability import WEEKDAYS
from crm.distribution.week import am_weeks, leave_not_over, parse_day
from dashboard import periods
from dashboard.distribution import act
from dashboard.viewer import crm_engine

AM_KEY = "distribution.shifts.am"
LEAVE_AM_KEY = "distribution.leave.am"
FIRST_KEY = "distribution.leave.first"
LAST_KEY = "distribution.leave.last"
CHOSEN_LEAVE_KEY = "distribution.leave.chosen"


def day_key(am_id: int, weekday: int) -> str:
    """One box per AM and day, so that picking another AM shows that AM's hours."""
    return f"distribution.shifts.{am_id}.{weekday}"


def shifts_section() -> None:
    now = periods.now()
    with crm_engine().connect() as connection:
        weeks = am_weeks(connection)
        spells = leave_not_over(connection, now)
    st.subheader("Shifts and leave")
    st.caption(
        "Each AM's week in their own time zone (an AM without one works the floor's). A day "
        "without hours is a day off; an end before the start runs past midnight. New leads go "
        "only to AMs on shift and not on leave."
    )
    if not weeks:
        st.info("No active AM yet: add one on the Staff page.")
        return
    away = {}
    for spell in spells:
        away.setdefault(spell.am_id, spell)
    st.dataframe(
        pd.DataFrame(
            {
                "AM": [w.name for w in weeks],
                "Time zone": [w.time_zone + ("" if w.own_zone else " (floor)") for w in weeks],
                **{day: [w.hours(i) or "off" for w in weeks] for i, day in enumerate(WEEKDAYS)},
                "Leave": [_leave_words(away.get(w.am_id)) for w in weeks],
            }
        ),
        hide_index=True,
        placeholder="",
        key="distribution.weeks",
    )
    _week_form(weeks)
    _leave(weeks, spells)


def _week_form(weeks) -> None:
    by_id = {w.am_id: w for w in weeks}
    am_id = st.selectbox("AM", list(by_id), format_func=lambda i: by_id[i].name, key=AM_KEY)
    week = by_id[am_id]
    with st.form("distribution.week_form", border=True):
        zone = week.time_zone if week.own_zone else f"{week.time_zone}, the floor's"
        st.markdown(f"**{week.name}'s week**, in {zone} time: HH:MM-HH:MM, blank for a day off")
        for weekday, column in enumerate(st.columns(7)):
            column.text_input(
                WEEKDAYS[weekday],
                value=week.hours(weekday),
                key=day_key(am_id, weekday),
                placeholder="off",
            )
        st.form_submit_button(
            f"Save {week.name}'s week",
            key="distribution.shifts.save",
            on_click=_save_week,
            args=(am_id,),
        )


def _leave(weeks, spells) -> None:
    st.markdown("**Leave under way or to come** (days in the AM's own zone, both included)")
    if spells:
        st.dataframe(
            pd.DataFrame(
                {
                    "AM": [s.am for s in spells],
                    "From": [s.first_day for s in spells],
                    "To": [s.last_day for s in spells],
                    "Days": [s.days for s in spells],
                    "Now": ["on leave" if s.under_way else "to come" for s in spells],
                }
            ),
            hide_index=True,
            placeholder="",
            key="distribution.leave",
        )
        by_id = {s.leave_id: s for s in spells}
        chosen = st.selectbox(
            "Leave", list(by_id), format_func=lambda i: by_id[i].text(), key=CHOSEN_LEAVE_KEY
        )
        st.button(
            "Cancel this leave",
            key="distribution.leave.cancel",
            help="Leave to come is removed. Leave under way ends yesterday instead (the days "
            "taken stay on record) and the AM is back from today.",
            on_click=_cancel_leave,
            args=(chosen,),
        )
    else:
        st.caption("Nobody is on leave or has leave to come.")
    names = {w.am_id: w.name for w in weeks}
    today = periods.today()
    with st.form("distribution.leave_form", border=True):
        who, first, last = st.columns(3)
        who.selectbox("AM away", list(names), format_func=names.get, key=LEAVE_AM_KEY)
        first.date_input("First day", value=today + timedelta(days=1), key=FIRST_KEY)
        last.date_input("Last day", value=today + timedelta(days=1), key=LAST_KEY)
        st.form_submit_button("Add leave", key="distribution.leave.add", on_click=_add_leave)


def _leave_words(spell) -> str:
    if spell is None:
        return ""
    if spell.under_way:
        return f"on leave until {spell.last_day}"
    return f"away {spell.first_day} to {spell.last_day}"


# Callbacks -------------------------------------------------------------------------------------


def _save_week(am_id: int) -> None:
    state = st.session_state

    def change(engine, **who):
        week = [
            shift
            for weekday in range(7)
            for shift in parse_day(weekday, state.get(day_key(am_id, weekday), ""))
        ]
        return dist.set_shifts(engine, **who, am_id=am_id, shifts=week, now=periods.now())

    act("shifts", change)


def _add_leave() -> None:
    state = st.session_state
    act(
        "leave",
        lambda engine, **who: dist.add_leave(
            engine,
            **who,
            am_id=state.get(LEAVE_AM_KEY),
            first=state.get(FIRST_KEY),
            last=state.get(LAST_KEY),
            now=periods.now(),
        ),
    )


def _cancel_leave(leave_id: int) -> None:
    act(
        "cancel_leave",
        lambda engine, **who: dist.cancel_leave(
            engine, **who, leave_id=leave_id, now=periods.now()
        ),
    )
