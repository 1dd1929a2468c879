"""The lead page (``pages/lead.py``): one lead, read fresh from the CRM at every run, opened
by ``?lead=<id>`` in the URL (``navigation.lead_url``), so it can be bookmarked and shared,
and linked from every lead row (``dashboard.lead_table``).

It shows who the lead is (contacts only for the roles that may see them; an executive sees
them masked), where the lead stands, and the whole history as one timeline newest first
(``dashboard.lead_timeline``). An account manager opens only their own leads: any other id,
typed or forged, is refused with one line and nothing of the lead is shown.

The actions a role may take on the lead are the action widgets the lead tables use, given the
lead as a one-row selection; this module is the lead page's only import of them.
"""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from crm.lead_file import LeadFile, read_lead_file
from dashboard import access, periods, sign_in, widgets
from dashboard import actions as lead_actions
from dashboard.data import viewer_time_zone
from dashboard.formats import money, on_list, plain, words
from dashboard.lead_timeline import lead_zone, timeline
from dashboard.navigation import ACCOUNT_MANAGER, EXECUTIVE, LEAD_PARAM, MANAGERS
from dashboard.viewer import Viewer, crm_engine, current_viewer

PARAM = LEAD_PARAM
# Narrow columns for when, what and who: the details have the room of a wide page.
TIMELINE = {
    "When": st.column_config.DatetimeColumn("When", format="ddd D MMM YYYY, HH:mm", width=150),
    "What": st.column_config.TextColumn("What", width=120),
    "Who": st.column_config.TextColumn("Who", width=110),
    "Details": st.column_config.TextColumn("Details", width=600),
}


def lead_id_asked(text: str | None) -> tuple[int | None, str | None]:
    """(the lead id ``text`` names, or None; the one-line refusal of a bad one, or None)."""
    text = (text or "").strip()
    if not text:
        return None, None
    if not re.fullmatch(r"[0-9]{1,18}", text) or int(text) == 0:
        return None, f"error: {text[:40]!r} is not a lead number (a whole number such as 1042)."
    return int(text), None


def show() -> None:
    """The page: a lead number box, then the lead of the URL."""
    viewer = current_viewer()
    if viewer is None:
        st.stop()
    st.title("Lead")
    lead_id, refusal = lead_id_asked(_lookup())
    if refusal:
        st.error(plain(refusal))
        return
    if lead_id is None:
        st.info("Open a lead from any table of leads, or type its number above.")
        return
    try:
        file = read_lead_file(crm_engine(), lead_id)
    except sa.exc.DBAPIError as error:
        st.error(sign_in.crm_trouble(error))
        return
    if file is None:
        st.error(f"error: there is no lead {lead_id}.")
        return
    if viewer.role == ACCOUNT_MANAGER and file.profile["am_id"] != viewer.staff_id:
        st.error(
            f"error: lead {lead_id} is not yours: an account manager sees only the leads "
            "assigned to them."
        )
        return
    _profile(file, viewer)
    _actions(file, viewer)
    _history(file, viewer)


def _lookup() -> str | None:
    """The lead number box, bound to the URL's ``?lead=``: a link or a bookmark fills it, and
    typing a number puts it in the URL."""
    return st.text_input(
        "Lead number", key=PARAM, bind="query-params", placeholder="e.g. 1042", width=240
    )


def _profile(file: LeadFile, viewer: Viewer) -> None:
    lead = file.profile
    masked = viewer.role == EXECUTIVE
    name = f"{lead['first_name']} {lead['last_name']}"
    st.header(plain(f"{name} · lead {lead['lead_id']}"))
    zone = viewer_time_zone()
    who, where = st.columns(2)
    with who:
        st.markdown("**Who**")
        phone = access.MASK if masked else lead["phone"]
        email = access.MASK if masked else lead["email"]
        lines = [
            f"Phone: {plain(phone)}",
            f"E-mail: {plain(email)}",
            f"Country: {plain(lead['country'])} · language: {plain(lead['language'])}",
            _local_time(file),
            f"Registered: {_when(lead['registered_at'], zone)}",
            f"Last login: {_when(lead['last_login_at'], zone)}",
        ]
        st.markdown("  \n".join(lines))
        if not masked and lead["phone"]:
            number = re.sub(r"[^0-9+]", "", lead["phone"])
            st.link_button(f"Call {lead['phone']}", f"tel:{number}", icon="📞", key="lead.call")
    with where:
        st.markdown("**Where the lead stands**")
        star = "starred" if lead["is_starred"] else "not starred"
        if lead["is_starred"] and lead["starred_by_name"]:
            star += f" by {lead['starred_by_name']}, {_when(lead['starred_at'], zone)}"
        am = lead["am_name"] or "nobody yet"
        if lead["team_name"]:
            am += f" ({lead['team_name']})"
        if lead["am_name"]:
            # Whether the AM sees it: a lead assigned but not starred is on nobody's list.
            am += f" · {on_list(lead['am_name'], lead['is_starred'])}"
        lines = [
            f"Status: {words(lead['status'])} · desk: {words(lead['desk'])}",
            f"AM: {am}",
            f"Star: {star} · priority: {words(lead['priority'])}",
            f"Callback due: {_callback(file, zone)}",
            f"Compliance: {words(lead['compliance_status'])}",
            f"Balance: {money(lead['balance'], lead['currency'])}",
            f"FTD: {_when(lead['ftd_at'], zone) or 'not yet'}",
        ]
        st.markdown("  \n".join(plain(line) for line in lines))


def _when(moment: datetime | None, zone) -> str:
    if moment is None:
        return ""
    return f"{pd.Timestamp(moment).tz_convert(zone):%a %d %b %Y, %H:%M}"


def _local_time(file: LeadFile) -> str:
    lead = file.profile
    zone = lead_zone(lead["time_zone"])
    local = periods.now().astimezone(zone)
    inside = file.calling_hours.contains(local.time())
    callable_ = "inside" if inside else "outside"
    return plain(
        f"Local time: {local:%a %H:%M} ({lead['time_zone']}), {callable_} the calling hours "
        f"({file.calling_hours})"
    )


def _callback(file: LeadFile, zone) -> str:
    lead = file.profile
    if lead["callback_at"] is None:
        return ""
    local = lead["callback_at"].astimezone(lead_zone(lead["time_zone"]))
    due = " (due)" if lead["callback_at"] <= periods.now() else ""
    return f"{local:%a %d %b %H:%M} lead's time, {_when(lead['callback_at'], zone)} yours{due}"


def _selection(file: LeadFile) -> pd.DataFrame:
    """The lead as the action widgets take a selected row, at the version just read."""
    lead = file.profile
    return pd.DataFrame(
        [
            {
                "lead_id": lead["lead_id"],
                "version": lead["version"],
                "desk": lead["desk"],
                "am_id": lead["am_id"],
                "time_zone": lead["time_zone"],
                "lead_name": f"{lead['first_name']} {lead['last_name']}",
            }
        ]
    )


def _actions(file: LeadFile, viewer: Viewer) -> None:
    if viewer.role == EXECUTIVE:
        return
    selected = _selection(file)
    key = f"lead.{file.profile['lead_id']}"
    if viewer.role in MANAGERS:
        assign_column, other_column = st.columns(2)
        with assign_column:
            lead_actions.assign_form(selected, key=f"{key}.assign")
        with other_column:
            lead_actions.star_buttons(selected, key=f"{key}.stars")
            lead_actions.note_form(selected, key=f"{key}.note")
        return
    call_column, note_column = st.columns(2)
    with call_column:
        lead_actions.call_outcome_form(selected, key=f"{key}.call", am_id=viewer.staff_id)
    with note_column:
        lead_actions.note_form(selected, key=f"{key}.note")


def _history(file: LeadFile, viewer: Viewer) -> None:
    st.subheader("History")
    events = timeline(file, viewer_time_zone())
    if viewer.role == EXECUTIVE:
        events = access.masked(events)
    st.caption(f"{len(events):,} events, newest first; times in {viewer_time_zone().key}")
    st.dataframe(
        events,
        column_config=TIMELINE,
        hide_index=True,
        placeholder="",
        key="lead.history",
        height=widgets.table_height(len(events)),
    )
