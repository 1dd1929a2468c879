"""Widgets every page shares: the warehouse guard, date range, team and AM filters, freshness
line, empty state, KPI tiles and CSV/Excel export. Each takes the key its page gives it, so
tests and callbacks can reach it.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import formats, periods
from dashboard.data import query, viewer_time_zone
from warehouse.reader import WarehouseMissing

ALL_TEAMS = "All teams"
ALL_AMS = "All AMs"
# What makes a spreadsheet read a cell as a formula (OWASP's list, and the full-width signs
# some spreadsheets also take).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
GET_DATA = (
    "To get data, fill the CRM (`python -m crm demo` loads the demo brokerage) "
    "and run `python -m etl run`."
)


# A table shows this many rows before it scrolls (Streamlit's own default is about 10); each row
# and the header are 35 px tall.
TABLE_ROWS = 25
ROW_PX = 35


def table_height(rows: int) -> int | str:
    """``st.dataframe``'s height for ``rows`` rows: all of them up to ``TABLE_ROWS``, then
    scrolling; "auto" for an empty table."""
    if rows <= 0:
        return "auto"
    return ROW_PX * (min(rows, TABLE_ROWS) + 1) + 3


def require_warehouse() -> dict | None:
    """The newest ETL run of the warehouse; without a warehouse, say how to build it and stop."""
    try:
        runs = query("freshness")
    except WarehouseMissing as missing:
        st.info(str(missing))
        st.stop()
    return runs.iloc[0].to_dict() if not runs.empty else None


def freshness_line(run: dict | None) -> None:
    """ "data as of HH:MM:SS (N s ago)": when the ETL last read the CRM, in the viewer's zone."""
    zone = viewer_time_zone()
    where = f"times in {zone.key}; reporting days are UTC dates"
    if run is None:
        st.caption(f"no successful ETL run yet · {where}")
        return
    as_of = pd.Timestamp(run["as_of"])
    as_of = as_of.tz_localize("UTC") if as_of.tzinfo is None else as_of
    age = max(0, int((periods.now() - as_of).total_seconds()))
    local = as_of.tz_convert(zone)
    lag = run.get("replica_lag_s")
    replica = (
        "" if lag is None or pd.isna(lag) else f" · read from the CRM's replica, {lag:.1f} s behind"
    )
    st.caption(f"data as of {local:%H:%M:%S} ({age:,} s ago){replica} · {where}")


def date_range_picker(key: str) -> periods.Period:
    """A date-range choice (today … custom) resolved to the UTC days it covers."""
    today = periods.today()
    choice = st.selectbox("Date range", periods.RANGES, index=2, key=key)
    custom = None
    if choice == periods.CUSTOM:
        picked = st.date_input(
            "Days (UTC)", value=(today - timedelta(days=6), today), key=f"{key}.custom"
        )
        # While the user is between the two clicks of a range, only the first day is set.
        if isinstance(picked, tuple | list) and picked:
            custom = (picked[0], picked[-1])
    period = periods.resolve(choice, today, custom)
    st.caption(f"{period.label()} (UTC days) · against {period.previous().label()}")
    return period


@dataclass(frozen=True)
class Team:
    id: int | None
    name: str


def team_filter(key: str) -> Team:
    """One team, or all of them."""
    teams = query("teams")
    ids = dict(zip(teams["team_name"], teams["team_id"], strict=True))
    name = st.selectbox("Team", [ALL_TEAMS, *ids], key=key)
    return Team(int(ids[name]) if name in ids else None, name)


@dataclass(frozen=True)
class AccountManager:
    id: int | None
    name: str


def am_filter(key: str, team: Team) -> AccountManager:
    """One AM of the chosen team (or of every team), or all of them."""
    ams = query("account_managers", team_id=team.id)
    # Two AMs may share a name: the label carries the id only when it must.
    labels = {}
    for am_id, name in zip(ams["am_id"], ams["am_name"], strict=True):
        labels[f"{name} (#{am_id})" if name in labels else name] = int(am_id)
    name = st.selectbox("AM", [ALL_AMS, *labels], key=key)
    return AccountManager(labels.get(name), name)


def empty_state(shows: str) -> None:
    """What the page will show once there is data, and how to get it."""
    st.info(
        "Nothing to show yet: the warehouse holds no activity for these days. "
        f"This page shows {shows}."
    )
    st.markdown(GET_DATA)


@dataclass(frozen=True)
class Tile:
    label: str
    column: str
    kind: str  # count, usd or ratio


def kpi_tiles(tiles: list[Tile], current: dict, previous: dict, against: str) -> None:
    """One ``st.metric`` per tile, with the change from ``previous``."""
    show = {"count": formats.count, "usd": formats.usd, "ratio": formats.percent}
    for column, tile in zip(st.columns(len(tiles)), tiles, strict=True):
        now, before = current[tile.column], previous[tile.column]
        column.metric(
            tile.label,
            formats.tile(now, tile.kind),
            formats.change(now, before, tile.kind),
            help=f"{against}: {show[tile.kind](before)}",
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


def csv_export(frame: pd.DataFrame, file_name: str, key: str) -> None:
    """Downloads of exactly ``frame`` as CSV and Excel, safe to open in a spreadsheet.
    ``file_name`` ends in .csv; the workbook takes the same name with .xlsx."""
    csv_column, excel_column, _ = st.columns([1, 1, 4])
    csv_column.download_button(
        "Export CSV",
        csv_bytes(frame),
        file_name=file_name,
        mime="text/csv",
        key=key,
    )
    excel_column.download_button(
        "Export Excel",
        excel_bytes(frame),
        file_name=file_name.removesuffix(".csv") + ".xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}.xlsx",
    )


def bars_per_am(agents: pd.DataFrame, columns: list[str], unit: str, key: str) -> None:
    """Grouped bars, one group per AM, one bar per column (e.g. calls beside connected)."""
    figure = px.bar(
        agents,
        x="am_name",
        y=columns,
        barmode="group",
        labels={"am_name": "AM", "value": unit, "variable": ""},
    )
    st.plotly_chart(figure, key=key)


def live_freshness_line(live: str, read_at: datetime) -> None:
    """The freshness line of a real-time view: what is ``live`` and when the CRM was read for
    it, then the newest snapshot's "data as of" for the rest."""
    from dashboard.data import live_query

    local = pd.Timestamp(read_at).tz_convert(viewer_time_zone())
    st.caption(f"live from the CRM at {local:%H:%M:%S}: {live}")
    runs = live_query("freshness")
    freshness_line(runs.iloc[0].to_dict() if not runs.empty else None)


def in_viewer_zone(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy of ``frame`` whose UTC time ``columns`` are in the viewer's time zone, so the
    table and its export show the same wall-clock times."""
    zone = viewer_time_zone()
    copy = frame.copy()
    for column in columns:
        times = pd.to_datetime(copy[column], utc=True)
        copy[column] = times.dt.tz_convert(zone)
    return copy


def query_moment() -> datetime:
    """Now (``periods.now()``) to the minute: queries that take the moment stay cached for
    as long as it names the same minute."""
    return periods.now().astimezone(timezone.utc).replace(second=0, microsecond=0)
