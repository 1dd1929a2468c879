"""Who is looking at the dashboard, and the CRM connection their actions go through.

``current_viewer()`` is the one place a page learns who the person is. In a browser, that is
the server-side session (``crm.sessions``) whose token the browser's HttpOnly cookie carries,
resumed at every run: a reload or a new tab stays signed in, and the Streamlit session id alone
(which Streamlit lets a websocket resume) gets nobody (issue 26, item 7). The person's row is
read again from the CRM on every rerun, so a deactivated or demoted person loses access at
their next click. A session ends after ``STARBOARD_IDLE_MINUTES`` (default 60) without a click,
at sign-out, and on the server when the person is deactivated or given a new password.

Runs without a browser (AppTest, in-process) have no cookie: there the signed-in staff id lives
in session state under ``STAFF_KEY``, as the tests set it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from crm import sessions
from crm.config import crm_database_url
from crm.db import create_crm_engine
from crm.errors import UserError
from crm.models import Staff
from dashboard import connection
from dashboard.formats import plain
from dashboard.navigation import PAGES

STAFF_KEY = "starboard.staff_id"
# The server-side session this Streamlit session's state belongs to (in a browser).
SESSION_KEY = "starboard.session_id"
# Set once the sign-in page has said why a browser's session ended.
ENDED_SHOWN_KEY = "starboard.session_end_shown"
# How a viewer signed in ("password" or "sso"), for sign-out.
METHOD_KEY = "starboard.sign_in_method"
# When the signed-in person last clicked (time.time()), for the idle timeout.
ACTIVITY_KEY = "starboard.last_activity"
# Why the last session ended, shown once on the sign-in page.
NOTICE_KEY = "starboard.sign_in_notice"
# Where current_viewer keeps the person read in this run (on Streamlit's ScriptRunContext).
_HELD_VIEWER = "_starboard_viewer"
DEFAULT_IDLE_MINUTES = 60
MAX_IDLE_MINUTES = 7 * 24 * 60  # a week; more is a mistake (and inf is no time at all)


@dataclass(frozen=True)
class Viewer:
    staff_id: int
    name: str
    email: str
    role: str
    desk: str | None
    team_id: int | None
    time_zone: str | None  # None: the browser's zone (``viewer_time_zone``)


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> sa.Engine:
    return create_crm_engine(url)


def crm_engine() -> sa.Engine:
    """The CRM behind ``CRM_DATABASE_URL``: one pooled engine per URL for the whole server."""
    return _engine(crm_database_url().render_as_string(hide_password=False))


def current_viewer() -> Viewer | None:
    """The signed-in, active staff member, read from the CRM now; None when nobody is (and the
    session is signed out when it has been idle too long or the person is no longer active).

    Read once per run (a click, a fragment's refresh): a page asks at every query, 8-12 times
    a view, and the answer cannot change within one run that the next click would not see.
    """
    ensure_routed()
    ctx = get_script_run_ctx()
    # A run's cursors are a new dict at every run (ScriptRunContext.reset, a fragment's
    # rerun): the person read in this run is kept beside them, and an older run's never counts.
    run = ctx.cursors if ctx is not None else None
    held = getattr(ctx, _HELD_VIEWER, None)
    if run is not None and held is not None and held[0] is run:
        return held[1]
    person = _read_viewer()
    if run is not None and person is not None:
        setattr(ctx, _HELD_VIEWER, (run, person))
    return person


def _read_viewer() -> Viewer | None:
    staff_id = _browser_staff_id() if connection.has_browser() else _in_process_staff_id()
    if staff_id is None:
        return None
    staff = Staff.__table__
    with crm_engine().connect() as connection_:
        row = connection_.execute(
            sa.select(staff).where(staff.c.id == int(staff_id), staff.c.is_active.is_(True))
        ).one_or_none()
    if row is None:
        sign_out(ENDED["deactivated"])
        return None
    return Viewer(row.id, row.name, row.email, row.role, row.desk, row.team_id, row.time_zone)


ENDED = {
    "deactivated": "Your account is no longer active: ask an admin.",
    "password_changed": "Your password was changed: sign in with the new one.",
    "expired": f"Your session ended {sessions.LIFETIME.total_seconds() / 3600:.0f} hours after "
    "you signed in: sign in again.",
    "signed_out": "You signed out.",
}


def idle_notice() -> str:
    return f"You were signed out after {idle_words(idle_limit())} without a click: sign in again."


def _browser_staff_id() -> int | None:
    resumed = sessions.resume(crm_engine(), connection.session_cookie(), idle=idle_limit())
    state = st.session_state
    if resumed.staff_id is None:
        was_signed_in = SESSION_KEY in state
        if was_signed_in or (resumed.ended and not state.get(ENDED_SHOWN_KEY)):
            reason = resumed.ended or "signed_out"
            sign_out(idle_notice() if reason == "idle" else ENDED[reason], end_session=False)
            state[ENDED_SHOWN_KEY] = True
        return None
    if state.get(SESSION_KEY) != resumed.session_id:
        # Nothing another session (or nobody) chose carries over into this person's pages.
        sign_out(end_session=False)
        state[SESSION_KEY] = resumed.session_id
        state[METHOD_KEY] = resumed.method
    return resumed.staff_id


def _in_process_staff_id() -> int | None:
    staff_id = st.session_state.get(STAFF_KEY)
    if staff_id is None:
        return None
    last = st.session_state.get(ACTIVITY_KEY)
    if not isinstance(last, int | float):
        # Sign-in sets both; a session given only the id (a test) starts its idle clock now.
        touch()
        last = st.session_state[ACTIVITY_KEY]
    if time.time() - last > idle_limit().total_seconds():
        sign_out(idle_notice())
        return None
    return int(staff_id)


# The query of the URL a person asked for before signing in (``sign_in.keep_the_link``).
ASKED_KEY = "starboard.asked_query"


def sign_in_as(staff_id: int, method: str = "password") -> None:
    """Start a session for ``staff_id``, whom ``method`` has just vouched for: nothing the
    session held before (another person's choices) is kept. In a browser, the browser is sent
    to trade the sign-in's one-time code for its session cookie, and comes back to this page."""
    here = _here()  # before sign_out forgets the query the link came with
    sign_out(end_session=False)
    code = sessions.start(crm_engine(), int(staff_id), method)
    if connection.has_browser():
        query = urlencode({"code": code, "next": here})
        _send_browser_to(f"{server_path(connection.SESSION_PATH)}?{query}")
        return
    st.session_state[STAFF_KEY] = int(staff_id)
    st.session_state[METHOD_KEY] = method
    touch()


def server_path(path: str) -> str:
    """``path`` under ``server.baseUrlPath``."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}{path}" if base else path


def _here() -> str:
    """The path of the page being shown (where the browser comes back to after sign-in)."""
    url = st.context.url or ""
    path = urlsplit(url).path or "/"
    query = urlsplit(url).query
    if not query and st.session_state.get(ASKED_KEY):
        # The sign-in page's run dropped the query the link came with (a lead page's ?lead=).
        query = urlencode(st.session_state[ASKED_KEY])
    return f"{path}?{query}" if query else path


def _send_browser_to(url: str) -> None:
    # Streamlit 1.67 sends the browser elsewhere with this message (it is how st.login reaches
    # the identity provider); there is no public call for a same-site redirect.
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    message = ForwardMsg()
    message.auth_redirect.url = url
    get_script_run_ctx().enqueue(message)


def touch() -> None:
    """Note a click now: the idle time counts from the last one."""
    st.session_state[ACTIVITY_KEY] = time.time()


def sign_out(notice: str | None = None, *, end_session: bool = True) -> None:
    """End the session: on the server (unless ``end_session`` is False: it has ended already)
    and here, forgetting the person and everything the session held."""
    if end_session and connection.has_browser():
        sessions.end(crm_engine(), connection.session_cookie(), "signed_out")
    read_viewer_again()
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if notice:
        st.session_state[NOTICE_KEY] = notice


def read_viewer_again() -> None:
    """The next ``current_viewer()`` of this run reads the CRM again (after a staff change,
    which may be the viewer's own role)."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        setattr(ctx, _HELD_VIEWER, None)


def idle_limit() -> timedelta:
    """``STARBOARD_IDLE_MINUTES`` (default 60): how long a session lasts without a click."""
    text = os.environ.get("STARBOARD_IDLE_MINUTES", "").strip()
    if not text:
        return timedelta(minutes=DEFAULT_IDLE_MINUTES)
    try:
        minutes = float(text)
    except ValueError:
        minutes = 0
    if not 0 < minutes <= MAX_IDLE_MINUTES:  # NaN and inf too
        raise UserError(
            f"STARBOARD_IDLE_MINUTES {text!r} is not a number of minutes above 0 and up to "
            f"{MAX_IDLE_MINUTES:,} (a week): set it like {DEFAULT_IDLE_MINUTES}."
        )
    return timedelta(minutes=minutes)


def idle_words(limit: timedelta) -> str:
    """The idle limit in words: "60 minutes", "1.5 minutes", "30 seconds" (never "0 minutes"
    for a limit under a minute)."""
    seconds = limit.total_seconds()
    amount, unit = (seconds, "second") if seconds < 60 else (seconds / 60, "minute")
    return f"{amount:g} {unit}{'' if amount == 1 else 's'}"


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


# The signed-in default page's url_path (``dashboard.routes``): never an address anyone types.
HOME_PATH = "_starboard_home"


def shown_address(address: str) -> str:
    """``address`` as a line shows it: cut short, its Markdown marks shown as they are."""
    cut = address if len(address) <= 40 else f"{address[:40]}…"
    return plain(f"/{cut}")


def unknown_address() -> str | None:
    """The page name the browser's address asked for (/nonsense: "nonsense") when it names
    no page of Starboard's, signed in or not; None otherwise (the root, a page's address, a
    click in the sidebar, a run without a browser).

    Streamlit 1.67 tells a page run nothing of the address it was asked for, and answers an
    unknown one with its "Page not found" dialog over the default page; the name is on its
    pages manager (internal, checked on 1.67), and a page of that name answers it instead.
    """
    try:
        manager = get_script_run_ctx().pages_manager
        if manager.intended_page_script_hash:  # a click or switch_page: a page Streamlit knows
            return None
        asked = (manager.intended_page_name or "").strip().strip("/")
    except AttributeError:
        return None
    known = {Path(spec.file).stem for spec in PAGES} | {HOME_PATH}
    return asked if asked and asked not in known else None


def _in_callback() -> bool:
    try:  # Streamlit's own record of the phase it runs; internal, checked on 1.67
        from streamlit.runtime.scriptrunner_utils.script_run_context import (
            RunLocation,
            ThreadState,
        )

        return ThreadState.get().run_location is RunLocation.CALLBACK
    except (ImportError, AttributeError):
        return False
