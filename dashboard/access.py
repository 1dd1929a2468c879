"""What each role may see: its pages, and the data of a query as that person may have it.

Applied on the server, in ``dashboard.data``'s query path after the cache, so a cached result
is shared only as the raw warehouse rows and every person gets their own cut of it: an
executive's copy has clients' emails and phone numbers masked (in every column, so neither a
table, its CSV download, a chart's tooltip nor an export can show them), an account manager's
copy holds only their own leads and figures.
"""

from __future__ import annotations

import re

import pandas as pd

from dashboard.navigation import ACCOUNT_MANAGER, EXECUTIVE, PAGES, PageSpec
from dashboard.viewer import Viewer

MASK = "•••"
ROLE_NAMES = {
    "admin": "admin",
    "sales_manager": "sales manager",
    "lead_manager": "lead manager",
    "account_manager": "account manager",
    "executive": "executive",
}
# Columns that hold a client's contact, whatever the query calls them: email, lead_email,
# phone, phone_number, to_address ... but not a count such as `emails`.
CONTACT_COLUMN = re.compile(r"(^|_)(e_?mail|phone|to_address|address)(_|$)")
# Contacts written into free text (a note, a subject): an email, or an international number.
EMAIL_TEXT = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE_TEXT = re.compile(r"\+\s?\d[\d\s().-]{5,}\d|\b\d{8,}\b")


def pages_for(viewer: Viewer) -> list[PageSpec]:
    """The pages ``viewer``'s role may open, in the sidebar's order."""
    return [spec for spec in PAGES if viewer.role in spec.roles]


def scoped_params(viewer: Viewer | None, params: dict) -> dict:
    """A query's parameters as ``viewer`` may run it: an account manager's AM filter is
    always themselves, whatever the page asked for."""
    if viewer is None or viewer.role != ACCOUNT_MANAGER:
        return params
    scoped = dict(params)
    if "am_id" in scoped:
        scoped["am_id"] = viewer.staff_id
    if "team_id" in scoped:
        scoped["team_id"] = None
    return scoped


def restricted(viewer: Viewer | None, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` cut to what ``viewer`` may see (nobody signed in sees it as an executive)."""
    if viewer is None or viewer.role == EXECUTIVE:
        return masked(frame)
    if viewer.role == ACCOUNT_MANAGER and "am_id" in frame.columns:
        return frame[frame["am_id"] == viewer.staff_id].reset_index(drop=True)
    return frame


def masked(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every client contact masked: contact columns whole, and any email or phone
    number written inside other text."""
    frame = frame.copy()
    for column in frame.columns:
        series = frame[column]
        if CONTACT_COLUMN.search(str(column).lower()):
            frame[column] = series.where(series.isna(), MASK).astype(object)
        elif series.dtype == object or pd.api.types.is_string_dtype(series):
            frame[column] = series.map(_mask_text)
    return frame


def _mask_text(value):
    if not isinstance(value, str):
        return value
    return PHONE_TEXT.sub(MASK, EMAIL_TEXT.sub(MASK, value))
