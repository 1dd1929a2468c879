"""The CSV and Excel exports of a page's table: built when someone clicks, not at every render.

A page view used to build both files for every table it drew (bench/HISTORY.md, Serving: the
Excel file alone was ~37 % of a page view's CPU) though almost no view is followed by a
download. ``buttons`` hands Streamlit a callable instead (``st.download_button`` runs it on the
click, 1.67's deferred download), and the click itself does not rerun the page.

The self-refreshing views keep their export buttons outside the refreshing fragment: the
fragment leaves the table it showed in a ``Latest`` holder, and the buttons, drawn once per
page run, export whatever that holder has at the moment of the click.

Both files are safe to open in a spreadsheet: no text cell can run as a formula.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable

import pandas as pd
import streamlit as st

# What makes a spreadsheet read a cell as a formula (OWASP's list, and the full-width signs
# some spreadsheets also take).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
EXCEL_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def headed(frame: pd.DataFrame, config: dict) -> pd.DataFrame:
    """``frame`` under the headers its table shows (the labels of ``config``, a table's
    ``column_config``), for a file people open: "AM", not ``am_name``."""
    return frame.rename(
        columns={column: config[column]["label"] for column in frame if column in config}
    )


def neutralise_formulas(frame: pd.DataFrame, *, one_line: bool = False) -> pd.DataFrame:
    """A copy in which no text cell can run as a spreadsheet formula (prefixed with '), and no
    control character is left; ``one_line``: line breaks become spaces too (for CSV, which
    some readers split at every line break, quoted or not)."""
    keep = "\t" if one_line else "\n\t"

    def safe(value):
        if not isinstance(value, str):
            return value
        # A carriage return ends a record for some readers, and the part after it would start
        # a row of its own, where "=" runs.
        value = "".join(
            character if character in keep or unicodedata.category(character) != "Cc" else " "
            for character in value.replace("\r\n", "\n").replace("\r", "\n")
        )
        return "'" + value if value.startswith(FORMULA_STARTS) else value

    copy = frame.copy()
    for column in copy.columns:
        if copy[column].dtype == object or pd.api.types.is_string_dtype(copy[column]):
            copy[column] = copy[column].map(safe)
    return copy


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as CSV: every value quoted, on one line, and unable to run as a formula."""
    text = neutralise_formulas(frame, one_line=True).to_csv(index=False, quoting=csv.QUOTE_ALL)
    return text.encode("utf-8")


def excel_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as an .xlsx workbook, text neutralised and every cell written as a value
    (XlsxWriter would otherwise turn a string that starts with = into a live formula)."""
    safe = neutralise_formulas(frame)
    for column in safe.columns:
        # Excel has no time zones: write the wall-clock time the page showed.
        if isinstance(safe[column].dtype, pd.DatetimeTZDtype):
            safe[column] = safe[column].dt.tz_localize(None)
    buffer = io.BytesIO()
    with pd.ExcelWriter(
        buffer,
        engine="xlsxwriter",
        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}},
    ) as writer:
        safe.to_excel(writer, index=False, sheet_name="Starboard")
    return buffer.getvalue()


def buttons(frame: pd.DataFrame, file_name: str, key: str) -> None:
    """Downloads of exactly ``frame`` as CSV and Excel, built on the click. ``file_name`` ends
    in .csv; the workbook takes the same name with .xlsx."""
    _draw(lambda: frame, file_name, key)


class Latest:
    """The table a self-refreshing fragment showed last, for export buttons outside it (a
    plain object: the download runs on another thread, away from the session's state)."""

    def __init__(self) -> None:
        self.frame: pd.DataFrame | None = None


def latest(key: str) -> Latest:
    """This session's holder for the table behind the export buttons ``key``."""
    name = f"{key}.latest"
    if not isinstance(st.session_state.get(name), Latest):
        st.session_state[name] = Latest()
    return st.session_state[name]


def latest_buttons(key: str, file_name: str) -> None:
    """The export buttons ``key`` for what the fragment put in ``latest(key)``: drawn when it
    has shown a table, and exporting the table it shows at the moment of the click."""
    holder = latest(key)
    if holder.frame is None:
        return
    _draw(lambda: holder.frame if holder.frame is not None else pd.DataFrame(), file_name, key)


def _draw(frame: Callable[[], pd.DataFrame], file_name: str, key: str) -> None:
    csv_column, excel_column, _ = st.columns([1, 1, 4])
    # on_click="ignore": a download changes nothing on the page, so it does not rerun it.
    csv_column.download_button(
        "Export CSV",
        lambda: csv_bytes(frame()),
        file_name=file_name,
        mime="text/csv",
        key=key,
        on_click="ignore",
    )
    excel_column.download_button(
        "Export Excel",
        lambda: excel_bytes(frame()),
        file_name=file_name.removesuffix(".csv") + ".xlsx",
        mime=EXCEL_MIME,
        key=f"{key}.xlsx",
        on_click="ignore",
    )
