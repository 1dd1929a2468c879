"""The Distribution page's widgets (issue 25): today's pools and waiting leads, when the rules run,
the replay of a past period, and the backlog run (the rules and their form:
``dashboard.distribution_rules``).
Times are in the viewer's zone; "today" and the replay's days are the floor's reporting days.

Every change goes through ``crm.actions.distribution`` as the signed-in manager, from an
``on_click`` callback, with an action id kept in session state and renewed after a success (a
double click writes once); the answer's one line is shown above the page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from crm.actions import ActionResult, new_action_id
from crm.actions import distribution as dist
from crm.distribution.occasions import MAX_RETURNING_DAYS, read_runs
from crm.distribution.replay import replay_period
from crm.distribution.rules import load_rules
from crm.distribution.today import assigned_since, pool_members_today, waiting_now
from crm.errors import UserError
from dashboard import periods
from dashboard.data import viewer_time_zone
from dashboard.formats import plain
from dashboard.navigation import MANAGERS
from dashboard.viewer import crm_engine, current_viewer

MESSAGE_KEY = "distribution.message"
ERROR_KEY = "distribution.error"
ALERT_MINUTES = 15
ASSIGNED_LIMIT = 200


def require_manager() -> None:
    """Stop unless a manager is signed in: the page reads the CRM itself (rules, pools, waiting
    leads), so a run that came without the router (a fresh server's first address) must stop
    here and go back through it, as the pages reading the warehouse do at their first query."""
    viewer = current_viewer()
    if viewer is None or viewer.role not in MANAGERS:
        st.stop()


def outcome() -> None:
    """The line of the last change, at the top of the page and as a toast: the button the
    manager clicked may be far down the page, where the top line is out of sight."""
    if message := st.session_state.pop(MESSAGE_KEY, None):
        st.success(plain(message))
        st.toast(plain(message), icon=":material/check_circle:")
    if error := st.session_state.pop(ERROR_KEY, None):
        st.error(plain(error))
        # A refusal stays until closed: the manager must read why nothing was saved.
        st.toast(plain(error), icon=":material/error:", duration="long")


def today_section() -> None:
    """Per pool and AM: received today against the cap, open leads, shift; then the waiting."""
    now = periods.now()
    with crm_engine().connect() as connection:
        members = pool_members_today(connection, now)
        waiting = waiting_now(connection)
    st.subheader("Today")
    if not members:
        st.info("No rule yet: add one below, replay it, then switch it on.")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "Rule": [m.rule + ("" if m.rule_on else " (off)") for m in members],
                    "AM": [m.am for m in members],
                    "Weight": [m.weight for m in members],
                    "Received today": [
                        f"{m.received:,} of {m.daily_cap:,}" if m.daily_cap else f"{m.received:,}"
                        for m in members
                    ],
                    "Open leads": [
                        f"{m.open_leads:,} of {m.open_cap:,}" if m.open_cap else f"{m.open_leads:,}"
                        for m in members
                    ],
                    "Shift": [m.shift for m in members],
                }
            ),
            hide_index=True,
            placeholder="",
            key="distribution.today",
        )
    _assigned_today(now)
    minutes = st.number_input(
        "Alert when a lead waits longer than (minutes)",
        min_value=1,
        value=ALERT_MINUTES,
        key="distribution.alert_minutes",
    )
    if not waiting:
        st.caption("No lead is waiting for an AM.")
        return
    zone = viewer_time_zone()
    oldest = min(w.oldest_since for w in waiting)
    waited = int((now - oldest).total_seconds() // 60)
    if waited > minutes:
        total = sum(w.leads for w in waiting)
        leads = "1 lead" if total == 1 else f"{total:,} leads"
        st.warning(plain(f"{leads} waiting; the oldest for {waited:,} minutes."))
    st.dataframe(
        pd.DataFrame(
            {
                "Why": [w.reason for w in waiting],
                "Rule": [w.rule or "—" for w in waiting],
                "Leads": [w.leads for w in waiting],
                "Waiting since": [
                    f"{w.oldest_since.astimezone(zone):%Y-%m-%d %H:%M}" for w in waiting
                ],
            }
        ),
        hide_index=True,
        placeholder="",
        key="distribution.waiting",
    )
    st.button("Assign the waiting leads now", key="distribution.backlog", on_click=_backlog)


def _assigned_today(now: datetime) -> None:
    """The leads the rules gave out today (the floor's day), newest first, each with the rules'
    why; times in the viewer's zone."""
    since = periods.day_start(periods.today())
    with crm_engine().connect() as connection:
        given = assigned_since(connection, since, ASSIGNED_LIMIT)
    if not given:
        return
    zone = viewer_time_zone()
    st.caption(f"Assigned by the rules today; times in {zone.key}")
    st.dataframe(
        pd.DataFrame(
            {
                "Assigned": [f"{a.at.astimezone(zone):%H:%M}" for a in given],
                "Lead": [a.lead for a in given],
                "Lead #": [a.lead_id for a in given],
                "AM": [a.am for a in given],
                "Why assigned": [a.why for a in given],
            }
        ),
        hide_index=True,
        placeholder="",
        key="distribution.assigned",
    )
    if len(given) == ASSIGNED_LIMIT:
        st.caption(f"the newest {ASSIGNED_LIMIT:,} leads the rules assigned today")


def runs_section() -> None:
    """When the rules run besides a registration: switched for the whole rule set."""
    with crm_engine().connect() as connection:
        runs = read_runs(connection)
    st.subheader("When the rules run")
    st.caption(
        "At every registration. Also, when ticked, for a lead nobody owns who logs in after "
        f"days away or whose deposit is declined, by the same rules. Now: {runs.text()}."
    )
    with st.form("distribution.runs_form", border=True):
        back, days, failed = st.columns(3)
        back.checkbox(
            "A lead nobody owns logs in after days away",
            value=runs.returning,
            key="distribution.runs.returning",
        )
        days.number_input(
            "Days away",
            min_value=1,
            max_value=MAX_RETURNING_DAYS,
            value=runs.returning_days,
            key="distribution.runs.days",
        )
        failed.checkbox(
            "A lead nobody owns has a deposit declined",
            value=runs.failed_deposits,
            key="distribution.runs.failed_deposits",
        )
        st.form_submit_button("Save", key="distribution.runs.save", on_click=_save_runs)


def replay_section() -> None:
    st.subheader("Replay")
    yesterday = periods.today() - timedelta(days=1)
    st.date_input("Registrations of", value=(yesterday, yesterday), key="distribution.replay_days")
    st.button("Replay the rules (writes nothing)", key="distribution.replay", on_click=_replay)
    shown = st.session_state.get("distribution.replayed")
    if shown is not None:
        st.caption(plain(shown["caption"]))
        st.dataframe(
            pd.DataFrame(shown["rows"]),
            hide_index=True,
            placeholder="",
            key="distribution.replay_table",
        )


# Callbacks -------------------------------------------------------------------------------------


def act(key: str, change: Callable[..., ActionResult]) -> None:
    viewer = current_viewer()
    action_key = f"distribution.{key}.action_id"
    state = st.session_state
    state.setdefault(action_key, new_action_id())
    try:
        if viewer is None:
            raise UserError("you are signed out: sign in again.")
        result = change(crm_engine(), actor_id=viewer.staff_id, action_id=state[action_key])
    except UserError as error:
        state[ERROR_KEY] = str(error)
        return
    state[action_key] = new_action_id()
    state[MESSAGE_KEY] = result.message


def listed(key: str) -> list[str] | None:
    values = [v.strip() for v in (st.session_state.get(key) or "").split(",") if v.strip()]
    return values or None


def _save_runs() -> None:
    state = st.session_state
    act(
        "runs",
        lambda engine, **who: dist.set_runs(
            engine,
            **who,
            returning=bool(state.get("distribution.runs.returning")),
            returning_days=int(state.get("distribution.runs.days") or 1),
            failed_deposits=bool(state.get("distribution.runs.failed_deposits")),
        ),
    )


def _backlog() -> None:
    act("backlog", lambda engine, **who: dist.run_backlog(engine, **who))


def _replay() -> None:
    days = st.session_state.get("distribution.replay_days") or ()
    if len(days) != 2:
        st.session_state[ERROR_KEY] = "pick the first and the last day to replay."
        return
    first, last = days
    start, end = periods.day_start(first), periods.day_start(last + timedelta(days=1))
    with crm_engine().connect() as connection:
        rules = load_rules(connection)
        if not rules:
            st.session_state[ERROR_KEY] = "no rule to replay: add one first."
            return
        result = replay_period(connection, rules, start, end)
    ams = sorted(
        set(result.would_receive) | set(result.really_received),
        key=lambda am_id: (-result.would_receive[am_id], result.names.get(am_id, "")),
    )
    waiting = ", ".join(
        f"{reason.replace('_', ' ')}: {n:,}" for reason, n in result.waiting.items()
    )
    st.session_state["distribution.replayed"] = {
        "caption": f"{first} to {last} ({periods.days_label()} days), {len(rules)} rules, "
        "as if all were on" + (f"; left waiting: {waiting}" if waiting else ""),
        "rows": {
            "AM": [result.names.get(am_id, str(am_id)) for am_id in ams],
            "Would receive": [result.would_receive[am_id] for am_id in ams],
            "Really received": [result.really_received[am_id] for am_id in ams],
        },
    }
