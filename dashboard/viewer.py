"""Who is looking at the dashboard, and the CRM connection their actions go through.

``current_viewer()`` is the one place a page learns who the person is. The signed-in staff id
lives in session state under ``STAFF_KEY`` (sign-in, issue 6, puts it there); the person's row
is read again from the CRM on every rerun, so a deactivated or demoted person loses access at
their next click, whatever the session remembers.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import streamlit as st

from crm.config import crm_database_url
from crm.db import create_crm_engine
from crm.models import Staff

STAFF_KEY = "starboard.staff_id"


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
    """The signed-in, active staff member, read from the CRM now; None when nobody is."""
    staff_id = st.session_state.get(STAFF_KEY)
    if staff_id is None:
        return None
    staff = Staff.__table__
    with crm_engine().connect() as connection:
        row = connection.execute(
            sa.select(staff).where(staff.c.id == int(staff_id), staff.c.is_active.is_(True))
        ).one_or_none()
    if row is None:
        st.session_state.pop(STAFF_KEY, None)
        return None
    return Viewer(row.id, row.name, row.email, row.role, row.desk, row.team_id, row.time_zone)
