"""Widgets every page shares: the warehouse guard, date range, team and AM filters, freshness
line, empty state, KPI tiles and CSV/Excel export. Each takes the key its page gives it, so
tests and callbacks can reach it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pandas as pd
import streamlit as st

from dashboard import charts, definitions, exports, formats, periods
from dashboard.data import query, viewer_time_zone
from warehouse.reader import WarehouseMissing

ALL_TEAMS = "All teams"
ALL_AMS = "All AMs"
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
    where = f"times in {zone.key}; reporting days are {periods.days_label()} dates"
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
    """A date-range choice (today … custom) resolved to the reporting days it covers."""
    today = periods.today()
    choice = st.selectbox("Date range", periods.RANGES, index=2, key=key)
    custom = None
    if choice == periods.CUSTOM:
        picked = st.date_input(
            f"Days ({periods.days_label()})",
            value=(today - timedelta(days=6), today),
            key=f"{key}.custom",
        )
        # While the user is between the two clicks of a range, only the first day is set.
        if isinstance(picked, tuple | list) and picked:
            custom = (picked[0], picked[-1])
    period = periods.resolve(choice, today, custom)
    st.caption(
        f"{period.label()} ({periods.days_label()} days) · against {period.previous().label()}"
    )
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


TILES_PER_ROW = 3  # wider rows clipped a 7-figure USD total ("1,711,86…")


def tile_columns(count: int, per_row: int = TILES_PER_ROW) -> list:
    """Room for ``count`` metric tiles, in rows of at most ``per_row``, so that none is clipped."""
    slots = []
    for first in range(0, count, per_row):
        slots.extend(st.columns(per_row)[: min(per_row, count - first)])
    return slots


def kpi_tiles(tiles: list[Tile], current: dict, previous: dict, against: str) -> None:
    """One ``st.metric`` per tile, with the change from ``previous``."""
    show = {"count": formats.count, "usd": formats.usd, "ratio": formats.percent}
    for column, tile in zip(tile_columns(len(tiles)), tiles, strict=True):
        now, before = current[tile.column], previous[tile.column]
        column.metric(
            tile.label,
            formats.tile(now, tile.kind),
            formats.change(now, before, tile.kind),
            help=f"{definitions.HELP.get(tile.column, '')} {against}: {show[tile.kind](before)}",
        )


def csv_export(frame: pd.DataFrame, file_name: str, key: str) -> None:
    """Downloads of exactly ``frame`` as CSV and Excel, safe to open in a spreadsheet and built
    only when clicked (``dashboard.exports``)."""
    exports.buttons(frame, file_name, key)


TOP_AMS = 15  # bars a chart shows before it folds the rest into "others"


def top_with_others(
    frame: pd.DataFrame, label: str, columns: list[str], n: int = TOP_AMS
) -> pd.DataFrame:
    """The ``n`` rows with the most of ``columns[0]``, largest first, and one row "others (k),
    mean" with the mean of the ``k`` rows after them (none when there are not more than ``n``).
    A mean, not a sum: the bars compare AMs, and the sum of 46 AMs dwarfed the 15 beside it."""
    ranked = frame.sort_values(columns[0], ascending=False, kind="stable")[[label, *columns]]
    top, rest = ranked.head(n), ranked.iloc[n:]
    if rest.empty:
        return top.reset_index(drop=True)
    mean = rest[columns].mean().round(1).to_dict()
    others = pd.DataFrame([{label: f"others ({len(rest)}), mean", **mean}])
    return pd.concat([top, others], ignore_index=True)


def bars_per_am(agents: pd.DataFrame, columns: dict[str, str], unit: str, key: str) -> None:
    """Grouped bars, one group per AM, one bar per column (e.g. calls beside connected; named
    by ``columns``' words): the top AMs by the first column, largest first, then the mean of
    the rest as "others"."""
    shown = top_with_others(agents, "am_name", list(columns)).rename(columns=columns)
    charts.grouped_bars(
        shown, "am_name", list(columns.values()), key=key, x_title="AM", y_title=unit
    )


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


def refresh_every(table_key: str, seconds: float) -> float | None:
    """How often a self-refreshing table's fragment runs: every ``seconds``, but not while rows
    of it are selected. A refresh that changes the rows clears the grid's selection, so a
    manager picking online leads for an assignment would lose them every few seconds."""
    return None if selected_rows(table_key) else seconds


def selected_rows(table_key: str) -> list[int]:
    state = st.session_state.get(table_key) or {}
    return list((state.get("selection") or {}).get("rows") or [])


def resume_or_pause(table_key: str, paused: bool) -> None:
    """Inside the fragment, after its table: a selection made or cleared since the page's last
    full run changes whether the fragment refreshes itself, which only a full run can set."""
    if bool(selected_rows(table_key)) != paused:
        st.rerun(scope="app")


def held_while_selected(table_key: str, read, **params):
    """``read(**params)`` (rows and when they were read), or, while rows of the table are
    selected, the rows the selection was made on: a click in the action form reruns the
    fragment, and fresh rows in another order would clear the selection (``lead_table``). The
    action itself still refuses a lead changed since (its version)."""
    held_key = f"{table_key}.held"
    # The filters must match; the clock (``now``) moves on while the rows are held.
    filters = {key: value for key, value in params.items() if key != "now"}
    held = st.session_state.get(held_key)
    # The selection as the click that made it left it: the rows it was made on are held from
    # that very click, before the page's run that pauses the refresh.
    if selected_rows(table_key) and held is not None and held[0] == filters:
        return held[1]
    result = read(**params)
    st.session_state[held_key] = (filters, result)
    return result
