"""The sign-in page, the only page anyone signed out can open, and the sidebar's sign-out.

The checks (password, lock, log) are ``crm.auth``'s; this module only asks and answers. On a
demo CRM it names the demo's accounts and how to get their passwords; a real CRM never shows
them.

Single sign-on (issue 26, item 13): when ``.streamlit/secrets.toml`` (or a file that
``secrets.files`` names) has an ``[auth]`` section, a button signs in through the company's
OpenID Connect provider (``st.login``); the e-mail it vouches for is the staff account's, and
an unknown or inactive one is refused in one line. The provider's answer starts a Starboard
session like a password does; the role is read from the CRM at every click either way.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
import streamlit as st
from streamlit.errors import StreamlitAPIException

from crm import auth, staff
from crm.errors import UserError
from dashboard import access, connection
from dashboard.formats import plain
from dashboard.navigation import PAGES
from dashboard.viewer import (
    ASKED_KEY,
    METHOD_KEY,
    NOTICE_KEY,
    Viewer,
    crm_engine,
    shown_address,
    sign_in_as,
    sign_out,
    unknown_address,
)

EMAIL_KEY = "sign_in.email"
PASSWORD_KEY = "sign_in.password"
ERROR_KEY = "sign_in.error"
SSO_STARTED_KEY = "sign_in.sso_started"
SSO_ERROR_KEY = "sign_in.sso_error"
# The provider's answer (its ID token's "iat") starts a session only this soon after it came: an
# older identity cookie left in the browser needs the button again (and so the provider's own
# check), or the idle time and sign-out would mean nothing for single sign-on.
SSO_FRESH_SECONDS = 300


def keep_the_link() -> None:
    """Keep the URL's query (a shared lead page's ``?lead=``) while the person signs in: the
    sign-in page's run drops it from the URL."""
    if st.query_params:
        st.session_state[ASKED_KEY] = st.query_params.to_dict()


def follow_the_link() -> None:
    """Put back, once signed in, the query the URL had before the sign-in."""
    asked = st.session_state.pop(ASKED_KEY, None)
    if asked and not st.query_params:
        st.query_params.from_dict(asked)


def pages() -> list:
    """The sign-in page under the root and under every page's own URL: a bookmark to
    /star_board signs in and then opens the star board (if the role may)."""
    home = st.Page(show, title="Sign in", icon="🔑", default=True)
    signed_out = [home]
    for spec in PAGES:
        signed_out.append(st.Page(show, title="Sign in", icon="🔑", url_path=Path(spec.file).stem))
    unknown = unknown_address()
    if unknown is not None:
        # An address that names no page: the sign-in at the root, saying so, and after it the
        # person's first page (the address's query means nothing there: it is not kept).
        def lead_on() -> None:
            st.session_state.pop(ASKED_KEY, None)
            st.session_state[NOTICE_KEY] = (
                f"There is no page at {shown_address(unknown)}: sign in to open your first page."
            )
            st.switch_page(home)

        # A name st.Page refuses keeps Streamlit's own answer.
        with contextlib.suppress(StreamlitAPIException):
            signed_out.append(
                st.Page(lead_on, title="Sign in", url_path=unknown, visibility="hidden")
            )
    return signed_out


def show() -> None:
    st.title("Sign in to Starboard")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice)
    if sso_configured():
        _single_sign_on()
    with st.form("sign_in", clear_on_submit=False):
        st.text_input("Email", key=EMAIL_KEY, autocomplete="username")
        st.text_input(
            "Password", type="password", key=PASSWORD_KEY, autocomplete="current-password"
        )
        st.form_submit_button("Sign in", type="primary", on_click=_sign_in)
    error = st.session_state.get(ERROR_KEY)
    if error:
        st.error(error)
    _demo_accounts()


def _sign_in() -> None:
    email = st.session_state.get(EMAIL_KEY, "")
    password = st.session_state.get(PASSWORD_KEY, "")
    # The password leaves session state at once, whatever the answer.
    st.session_state[PASSWORD_KEY] = ""
    try:
        where = connection.client()
        result = auth.sign_in(
            crm_engine(), email, password, address=where.address, limit_address=where.limited
        )
    except UserError as error:  # a bad limit in the environment
        st.session_state[ERROR_KEY] = str(error)
        return
    except sa.exc.DBAPIError as error:
        st.session_state[ERROR_KEY] = crm_trouble(error)
        return
    if result.staff_id is None:
        st.session_state[ERROR_KEY] = result.message
        return
    try:
        sign_in_as(result.staff_id)
    except sa.exc.DBAPIError as error:
        st.session_state[ERROR_KEY] = crm_trouble(error)


def sso_configured() -> bool:
    """Whether the secrets name an identity provider (an ``[auth]`` section)."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all: no provider
        return False


def _single_sign_on() -> None:
    user = st.user
    issued = user.get("iat") if user.is_logged_in else None
    fresh = isinstance(issued, int | float) and 0 <= time.time() - issued < SSO_FRESH_SECONDS
    if fresh and st.session_state.get(SSO_STARTED_KEY) != issued:
        # Once per answer of the provider: a refusal is logged once and shown until it changes.
        # (Set after the sign-in, which starts the session state afresh.)
        refusal = _sign_in_by_identity_provider(user)
        st.session_state[SSO_STARTED_KEY] = issued
        st.session_state[SSO_ERROR_KEY] = refusal
    refusal = st.session_state.get(SSO_ERROR_KEY) if user.is_logged_in else None
    if fresh and not refusal:
        st.info("Signing you in ...")
        return
    if refusal:
        st.error(refusal)
        st.button(
            "Sign out of the identity provider", key="sign_in.sso_sign_out", on_click=st.logout
        )
    st.button(
        "Sign in with your company account",
        key="sign_in.sso",
        type="primary",
        on_click=st.login,
    )
    st.caption("or with your Starboard password:")


def _sign_in_by_identity_provider(user) -> str | None:
    """Start the session of the person the provider vouched for; why not, in one line."""
    email = user.get("email")
    if user.get("email_verified") is False:
        return plain(f"Your identity provider has not verified {email}: ask IT.")
    try:
        result = auth.sign_in_by_identity_provider(
            crm_engine(), email, address=connection.client().address
        )
        if result.staff_id is None:
            return plain(result.message)
        sign_in_as(result.staff_id, "sso")
    except UserError as error:  # a bad proxy setting in the environment
        return str(error)
    except sa.exc.DBAPIError as error:
        return crm_trouble(error)
    return None


def crm_trouble(error: sa.exc.DBAPIError) -> str:
    """One line for a CRM that does not answer, or whose schema is behind this code."""
    return (
        f"Starboard cannot read its CRM now ({type(error.orig).__name__}): try again in a "
        "moment; if it lasts, run `python -m crm init` and check CRM_DATABASE_URL."
    )


def _demo_accounts() -> None:
    try:
        accounts = staff.demo_accounts(crm_engine())
    except sa.exc.DBAPIError:
        return  # the sign-in itself will say what is wrong
    if not accounts:
        return
    st.divider()
    st.subheader("Demo accounts")
    st.caption(
        "This CRM is the demo brokerage: it has one account per role. Their passwords were "
        "printed once when the demo was made (the terminal running ./start shows them); to "
        "see new ones, run `.venv/bin/python -m crm demo-passwords`, which sets and prints them."
    )
    st.dataframe(
        pd.DataFrame(
            {
                "Role": [access.ROLE_NAMES.get(row.role, row.role) for row in accounts],
                "Name": [row.name for row in accounts],
                "Email": [row.email for row in accounts],
            }
        ),
        hide_index=True,
        placeholder="",
        key="sign_in.demo_accounts",
    )


def sidebar(viewer: Viewer) -> None:
    """Who is signed in, and one click to sign out."""
    with st.sidebar:
        st.text(f"{viewer.name} · {access.ROLE_NAMES.get(viewer.role, viewer.role)}")
        st.button("Sign out", key="sign_out", on_click=_sign_out, type="tertiary")


def _sign_out() -> None:
    by_provider = st.session_state.get(METHOD_KEY) == "sso" and sso_configured()
    sign_out("You signed out.")
    if by_provider:  # the provider's identity cookie goes too, and its own session ends
        st.logout()


def no_pages() -> None:
    st.title("Starboard")
    st.info("Your role opens no page of the dashboard yet: ask an admin.")
