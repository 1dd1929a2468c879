"""The pages' access to the warehouse: one shared reader, query results cached for 30 s.

Every result is cut to what the signed-in person may see (``dashboard.access``) after the
cache: the cache holds warehouse rows, never one person's view of them, so nothing cached for
one role or one AM is served to another.

Times are shown in the viewer's own zone (``viewer_time_zone``): the staff row's, else their
browser's, else the floor's (``STARBOARD_TIME_ZONE``, which also ends the reporting days).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from crm import live
from crm.settings import DEFAULT_CALLING_HOURS, CallingHours
from crm.time_zones import find_zone, floor_zone
from dashboard import access, periods
from dashboard.viewer import Viewer, crm_engine, current_viewer
from warehouse import warehouse_paths
from warehouse.reader import Warehouse

CACHE_TTL_S = 30
# The real-time views (Online, Online advanced, Payment options log): how often each session
# refreshes, and how long one read of the CRM's live rows serves every session. An event then
# shows within about LIVE_REFRESH_S + LIVE_TICK_S (BENCHMARKS.md, "Serving").
LIVE_REFRESH_S = 3
LIVE_TICK_S = 1.0
# Where _once_per_run keeps this run's live reads (on Streamlit's ScriptRunContext).
_HELD_LIVE = "_starboard_live_reads"
# The live payments are those changed since the snapshot's read of the CRM, less this margin: a
# transaction open across that read commits rows stamped before it.
LIVE_SINCE_MARGIN = timedelta(seconds=60)


def viewer_time_zone() -> ZoneInfo:
    """The time zone the signed-in person sees times in: their staff row's ``time_zone`` when
    set, else their browser's (``st.context.timezone``), else the floor's."""
    viewer = current_viewer()
    return viewer_zone(viewer.time_zone if viewer is not None else None, _browser_zone())


def viewer_zone(staff_zone: str | None, browser_zone: str | None) -> ZoneInfo:
    """The first of the staff row's zone and the browser's that is a zone; else the floor's."""
    for name in (staff_zone, browser_zone):
        if zone := find_zone((name or "").strip()):
            return zone
    return floor_zone()


def _browser_zone() -> str | None:
    try:
        return st.context.timezone  # None outside a browser (AppTest) or before it told us
    except Exception:  # noqa: BLE001 - no script run context (a thread of our own)
        return None


@st.cache_resource(show_spinner=False)
def _warehouse(link: str) -> Warehouse:
    return Warehouse(warehouse_paths(link))


def _decimals_as_floats(table: pa.Table) -> pa.Table:
    # Charts and column_config formats want numbers; the marts' money is DECIMAL(18,2).
    for index, field in enumerate(table.schema):
        if pa.types.is_decimal(field.type):
            table = table.set_column(index, field.name, table[field.name].cast(pa.float64()))
    return table


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _query(link: str, name: str, params: tuple[tuple[str, object], ...]) -> pd.DataFrame:
    table = _warehouse(link).query(name, **dict(params))
    return _decimals_as_floats(table).to_pandas()


def query(name: str, **params) -> pd.DataFrame:
    """The result of ``warehouse/queries/<name>.sql`` as a DataFrame (money as float USD).

    Raises ``WarehouseMissing`` when no warehouse has been published yet.
    """
    viewer = _viewer()
    params = access.scoped_params(viewer, params)
    link = str(warehouse_paths().link)
    return access.restricted(viewer, _query(link, name, tuple(sorted(params.items()))))


def _viewer() -> Viewer:
    """Who reads: the signed-in person, read again from the CRM. Nobody (signed out, idle too
    long, deactivated since the page began) starts the app again, which shows the sign-in."""
    viewer = current_viewer()
    if viewer is None:
        st.rerun()
    return viewer


def calling_hours() -> CallingHours:
    """The CRM's calling hours as of the last ETL run (09:00-20:00 when none are set)."""
    rows = query("calling_hours")
    return CallingHours.parse(rows.iloc[0, 0]) if not rows.empty else DEFAULT_CALLING_HOURS


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _live_query(
    link: str, snapshot: str, name: str, params: tuple[tuple[str, object], ...]
) -> pd.DataFrame:
    table = _warehouse(link).query(name, **dict(params))
    return _decimals_as_floats(table).to_pandas()


def live_query(name: str, **params) -> pd.DataFrame:
    """``query`` for the pages that refresh themselves (Online): a result is kept only while
    the snapshot it was read from is the newest, so a new ETL run shows at the next refresh
    instead of up to 30 s later."""
    viewer = _viewer()
    params = access.scoped_params(viewer, params)
    link = str(warehouse_paths().link)
    # The snapshot the link points to now: a new one makes a new cache key.
    rows = _live_query(link, os.path.realpath(link), name, tuple(sorted(params.items())))
    return access.restricted(viewer, rows)


@st.cache_resource(show_spinner=False)
def _shared_reads() -> live.SharedReads:
    return live.SharedReads(LIVE_TICK_S)


def _shared_query(viewer, name: str, live_name: str, rows: pa.Table, read_at: float, params):
    """``name`` on the newest snapshot with the live ``rows``: one computation per live read
    and filter for the whole server, cut to the viewer after."""
    link = str(warehouse_paths().link)
    key = (name, link, os.path.realpath(link), read_at, tuple(sorted(params.items())))

    def compute() -> pd.DataFrame:
        table = _warehouse(link).query(name, tables={live_name: rows}, **params)
        return _decimals_as_floats(table).to_pandas()

    frame, _ = _shared_reads().get(key, compute)
    return access.restricted(viewer, frame.copy())


def live_leads_online(**params) -> tuple[pd.DataFrame, datetime]:
    """``leads_online`` with who is online read from the CRM now (``crm.live``), and when it
    was read. However many sessions ask, the CRM is read once per ``LIVE_TICK_S``."""
    viewer = _viewer()
    params = access.scoped_params(viewer, params)
    engine = crm_engine()
    online, read_at = _shared_reads().get(
        ("live_online", str(engine.url)), lambda: live.online_leads(engine, periods.now())
    )
    rows = _shared_query(viewer, "leads_online", "live_online", online, read_at, params)
    return rows, datetime.fromtimestamp(read_at, timezone.utc)


def _once_per_run(key, read):
    """``read()``, once per page run (a click, a fragment's refresh) for ``key``: the queries of
    one run then share one live read, so the payments log's tiles and its table never come from
    two reads a tick apart (one showing a new attempt, the other not)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return read()
    # A run's cursors are a new dict at every run (as dashboard.viewer relies on).
    held = getattr(ctx, _HELD_LIVE, None)
    if held is None or held[0] is not ctx.cursors:
        held = (ctx.cursors, {})
        setattr(ctx, _HELD_LIVE, held)
    if key not in held[1]:
        held[1][key] = read()
    return held[1][key]


def live_payments(name: str, **params) -> tuple[pd.DataFrame, datetime]:
    """A payment query (``payment_totals``, ``payment_methods``, ``payment_attempts``) with the
    deposit attempts the CRM wrote or changed since the snapshot read it, and when they were
    read; once per ``LIVE_TICK_S`` for the whole server."""
    viewer = _viewer()
    params = access.scoped_params(viewer, params)
    runs = query("freshness")
    as_of = pd.Timestamp(runs.iloc[0]["as_of"]).to_pydatetime() if not runs.empty else None
    since = (as_of or periods.now()) - LIVE_SINCE_MARGIN
    since = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
    engine = crm_engine()
    changed, read_at = _once_per_run(
        ("live_payments", since),
        lambda: _shared_reads().get(
            ("live_payments", str(engine.url), since), lambda: live.payments_since(engine, since)
        ),
    )
    rows = _shared_query(viewer, name, "live_payments", changed, read_at, params)
    return rows, datetime.fromtimestamp(read_at, timezone.utc)
