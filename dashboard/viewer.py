"""Who is looking at the dashboard, and the CRM connection their actions go through.

``current_viewer()`` is the one place a page learns who the person is. The signed-in staff id
lives in session state under ``STAFF_KEY`` (sign-in, issue 6, puts it there); the person's row
is read again from the CRM on every rerun, so a deactivated or demoted person loses access at
their next click, whatever the session remembers. A session ends after ``STARBOARD_IDLE_MINUTES``
(default 60) without a click; signing out forgets everything the session held.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from crm.config import crm_database_url
from crm.db import create_crm_engine
from crm.errors import UserError
from crm.models import Staff

STAFF_KEY = "starboard.staff_id"
# When the signed-in person last clicked (time.time()), for the idle timeout.
ACTIVITY_KEY = "starboard.last_activity"
# Why the last session ended, shown once on the sign-in page.
NOTICE_KEY = "starboard.sign_in_notice"
DEFAULT_IDLE_MINUTES = 60


@dataclass(frozen=True)
class Viewer:
    staff_id: int
    name: str
    email: str
    role: str
    desk: str | None
    team_id: int | None
    time_zone: str


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> sa.Engine:
    return create_crm_engine(url)


def crm_engine() -> sa.Engine:
    """The CRM behind ``CRM_DATABASE_URL``: one pooled engine per URL for the whole server."""
    return _engine(crm_database_url().render_as_string(hide_password=False))


def current_viewer() -> Viewer | None:
    """The signed-in, active staff member, read from the CRM now; None when nobody is (and the
    session is signed out when it has been idle too long or the person is no longer active)."""
    ensure_routed()
    staff_id = st.session_state.get(STAFF_KEY)
    if staff_id is None:
        return None
    last = st.session_state.get(ACTIVITY_KEY)
    if not isinstance(last, int | float):
        # Sign-in sets both; a session given only the id (a test) starts its idle clock now.
        touch()
        last = st.session_state[ACTIVITY_KEY]
    limit = idle_limit()
    if time.time() - last > limit.total_seconds():
        minutes = int(limit.total_seconds() // 60)
        sign_out(f"You were signed out after {minutes} minutes without a click: sign in again.")
        return None
    staff = Staff.__table__
    with crm_engine().connect() as connection:
        row = connection.execute(
            sa.select(staff).where(staff.c.id == int(staff_id), staff.c.is_active.is_(True))
        ).one_or_none()
    if row is None:
        sign_out("Your account is no longer active: ask an admin.")
        return None
    return Viewer(row.id, row.name, row.email, row.role, row.desk, row.team_id, row.time_zone)


def sign_in_as(staff_id: int) -> None:
    """Start a session for ``staff_id``, whom sign-in has just checked: nothing the session
    held before (another person's choices) is kept."""
    sign_out()
    st.session_state[STAFF_KEY] = int(staff_id)
    touch()


def touch() -> None:
    """Note a click now: the idle time counts from the last one."""
    st.session_state[ACTIVITY_KEY] = time.time()


def sign_out(notice: str | None = None) -> None:
    """End the session: forget the person and everything the session held."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if notice:
        st.session_state[NOTICE_KEY] = notice


def idle_limit() -> timedelta:
    """``STARBOARD_IDLE_MINUTES`` (default 60): how long a session lasts without a click."""
    text = os.environ.get("STARBOARD_IDLE_MINUTES", "").strip()
    if not text:
        return timedelta(minutes=DEFAULT_IDLE_MINUTES)
    try:
        minutes = float(text)
    except ValueError:
        minutes = 0
    if not minutes > 0:
        raise UserError(
            f"STARBOARD_IDLE_MINUTES {text!r} is not a positive number of minutes: set it like "
            f"{DEFAULT_IDLE_MINUTES}."
        )
    return timedelta(minutes=minutes)


def client_address() -> str:
    """Where a sign-in comes from, for its rate limit: the client's IP; behind a proxy that
    ``STARBOARD_TRUST_FORWARDED_FOR=1`` vouches for, the address it forwarded; else (a browser
    on this machine) the browser session."""
    ip = st.context.ip_address
    if isinstance(ip, str) and ip:
        return ip
    if os.environ.get("STARBOARD_TRUST_FORWARDED_FOR", "").strip().lower() in ("1", "true", "yes"):
        forwarded = st.context.headers.get("X-Forwarded-For", "")
        # The last hop is the one our own proxy added; the ones before it the client wrote.
        hop = forwarded.split(",")[-1].strip() if isinstance(forwarded, str) else ""
        if hop:
            return hop
    ctx = get_script_run_ctx()
    return f"session {ctx.session_id}" if ctx is not None else "unknown"


def routed() -> None:
    """Called by the router first thing: this run goes through ``st.navigation``."""
    PagesManager.uses_pages_directory = False


def ensure_routed() -> None:
    """Rerun through the router when a page was run without it.

    Streamlit 1.67 decides per server process whether an app uses the old ``pages/`` folder
    discovery, before any script has run: the first browser to open a page's own URL (e.g.
    /star_board) after a restart gets that page run directly, with a sidebar built from
    ``pages/`` and without the router's sign-in and layout, until a script calls
    ``st.navigation``. Every page reads through ``current_viewer`` or ``dashboard.data``, which
    call this, so such a run stops at its first read and starts again through the router.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        # A widget's callback runs before the script is chosen: with the flag down, this very
        # run goes through the router, and a rerun would drop the click.
        if not _in_callback():
            st.rerun()


def _in_callback() -> bool:
    try:  # Streamlit's own record of the phase it runs; internal, checked on 1.67
        from streamlit.runtime.scriptrunner_utils.script_run_context import (
            RunLocation,
            ThreadState,
        )

        return ThreadState.get().run_location is RunLocation.CALLBACK
    except (ImportError, AttributeError):
        return False
