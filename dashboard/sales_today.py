"""The sales dashboard's "who is behind today, and why": per AM today, the team subtotals and
the day hour by hour against a typical day (issue 23, item 4).

The day's figures come from the warehouse (``am_today``, ``calls_by_hour``); the AMs' shifts and
leave from the CRM, read at most every 30 s, since no mart holds them. "Today" and its first
moment come from ``dashboard.periods``, as on the rest of the page.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from crm.distribution import availability
from crm.distribution.availability import Calendar
from dashboard import behind, charts, definitions, formats, periods, widgets
from dashboard.data import CACHE_TTL_S, query, viewer_time_zone
from dashboard.viewer import crm_engine

HELP = definitions.HELP
COUNT = formats.COUNT_COLUMN
# The "who is behind" table: what a manager acts on first (who and their team, why, how long
# idle, the starred leads waiting for a call), then the day's figures, the talk time and the
# last call's time last (the table is wider than a laptop's page: those scroll into view, with
# the AM pinned); each column's words are the users'.
MONEY_WIDTH = 130  # px: "17,325.90 USD" whole (sized to fit, a column cut it)
AM_COLUMNS = {
    "am_name": st.column_config.TextColumn("AM", pinned=True),
    "team_name": st.column_config.TextColumn("Team"),
    "behind": st.column_config.TextColumn("Behind: why", help=HELP["behind"], width="medium"),
    "idle": st.column_config.TextColumn("Without a call", help=HELP["idle"]),
    "starred_not_called": st.column_config.NumberColumn(
        "Starred, not called", format=COUNT, help=HELP["starred_not_called"]
    ),
    "calls": st.column_config.NumberColumn("Calls", format=COUNT, help=HELP["calls"]),
    "connected_calls": st.column_config.NumberColumn(
        "Connected", format=COUNT, help=HELP["connected_calls"]
    ),
    "call_ratio": st.column_config.TextColumn("Call ratio", help=HELP["call_ratio"]),
    "pace": st.column_config.TextColumn(
        "Target: reached / expected", help=HELP["expected_progress"]
    ),
    "deposits": st.column_config.NumberColumn("Deposits", format=COUNT, help=HELP["deposits"]),
    "deposit_usd": st.column_config.TextColumn(
        "Deposit USD", help=HELP["deposit_usd"], width=MONEY_WIDTH
    ),
    "ftds": st.column_config.NumberColumn("FTDs", format=COUNT, help=HELP["ftds"]),
    "talk": st.column_config.TextColumn("Talk time", help=HELP["talk_seconds"]),
    "last_call": st.column_config.TextColumn(
        "Last call", help="The start of the AM's last call today."
    ),
}
TEAM_COLUMNS = {
    "team_name": st.column_config.TextColumn("Team", pinned=True),
    "behind": st.column_config.TextColumn("AMs behind", help=HELP["behind"]),
    "calls": st.column_config.NumberColumn("Calls", format=COUNT),
    "connected_calls": st.column_config.NumberColumn("Connected", format=COUNT),
    "call_ratio": st.column_config.TextColumn("Call ratio", help=HELP["call_ratio"]),
    "talk": st.column_config.TextColumn("Talk time", help=HELP["talk_seconds"]),
    "pace": st.column_config.TextColumn(
        "Target: reached / expected", help=HELP["expected_progress"]
    ),
    "starred_not_called": st.column_config.NumberColumn("Starred, not called", format=COUNT),
    "deposits": st.column_config.NumberColumn("Deposits", format=COUNT),
    "deposit_usd": st.column_config.TextColumn("Deposit USD", width=MONEY_WIDTH),
    "ftds": st.column_config.NumberColumn("FTDs", format=COUNT),
}
# The export of the "who is behind" table: its figures as numbers (a spreadsheet sums them),
# under the table's headers, with the unit where the table writes one in each cell.
EXPORT_HEADERS = {
    "am_name": "AM",
    "team_name": "Team",
    "behind": "Behind: why",
    "idle_seconds": "Without a call (s)",
    "at_work": "On shift",
    "last_call_at": "Last call",
    "calls": "Calls",
    "connected_calls": "Connected",
    "call_ratio": "Call ratio",
    "talk_seconds": "Talk time (s)",
    "progress": "Target reached",
    "expected_progress": "Target expected",
    "starred_not_called": "Starred, not called",
    "deposits": "Deposits",
    "deposit_usd": "Deposit USD",
    "ftds": "FTDs",
}


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _calendars(crm_url: str, am_ids: tuple[int, ...]) -> dict[int, Calendar]:
    with crm_engine().connect() as connection:
        return availability.read_calendars(connection, am_ids=am_ids)


def calendars(am_ids) -> dict[int, Calendar]:
    """The AMs' calendars (zone, shifts, leave) as the CRM has them now."""
    ids = tuple(sorted({int(am_id) for am_id in am_ids}))
    return _calendars(str(crm_engine().url), ids) if ids else {}


def who_is_behind(team_id: int | None, am_id: int | None) -> tuple[pd.DataFrame, datetime]:
    """Today's rows per AM with the "behind" rules applied, and the moment they were judged."""
    now, day = periods.now(), periods.today()
    start = periods.day_start(day)
    rows = query(
        "am_today",
        day=day,
        day_start=start,
        now=widgets.query_moment(),
        team_id=team_id,
        am_id=am_id,
    )
    return behind.assess(rows, calendars(rows["am_id"]), day, start, now), now


def _pace(reached, expected) -> str:
    if pd.isna(reached):
        return ""
    return f"{formats.percent(reached)} / {formats.percent(expected)}"


def _paces(frame: pd.DataFrame) -> list[str]:
    return [_pace(r, e) for r, e in zip(frame["progress"], frame["expected_progress"], strict=True)]


def shown_per_am(assessed: pd.DataFrame) -> pd.DataFrame:
    """The table as people read it: durations in words, ratios in %, money with its currency,
    times in the viewer's zone; blank where there is nothing."""
    zone = viewer_time_zone()
    last = pd.to_datetime(assessed["last_call_at"], utc=True).dt.tz_convert(zone)
    idle = [
        behind.idle_words(seconds) + ("" if working else ", off shift")
        for seconds, working in zip(assessed["idle_seconds"], assessed["at_work"], strict=True)
    ]
    frame = formats.readable(
        assessed, percents=["call_ratio"], hours_of=["talk_seconds"], usds=["deposit_usd"]
    ).assign(
        idle=idle,
        last_call=last.dt.strftime("%H:%M").fillna(""),
        talk=lambda shown: shown["talk_seconds"],
        pace=_paces(assessed),
        team_name=assessed["team_name"].fillna(""),
    )
    return frame[list(AM_COLUMNS)]


def exported_per_am(assessed: pd.DataFrame) -> pd.DataFrame:
    """The "who is behind" table for a file: numbers, times in the viewer's zone."""
    frame = assessed[list(EXPORT_HEADERS)].copy()
    frame["last_call_at"] = pd.to_datetime(frame["last_call_at"], utc=True).dt.tz_convert(
        viewer_time_zone()
    )
    return frame.rename(columns=EXPORT_HEADERS)


def shown_per_team(totals: pd.DataFrame) -> pd.DataFrame:
    frame = formats.readable(
        totals, percents=["call_ratio"], hours_of=["talk_seconds"], usds=["deposit_usd"]
    ).assign(
        behind=[f"{b} of {n}" for b, n in zip(totals["behind_ams"], totals["ams"], strict=True)],
        talk=lambda shown: shown["talk_seconds"],
        pace=_paces(totals),
    )
    return frame[list(TEAM_COLUMNS)]


def hour_chart(team_id: int | None, am_id: int | None, now: datetime) -> None:
    """Calls per hour today against a typical day of the same weekday."""
    day = periods.today()
    earlier = periods.same_weekday_before(day, definitions.TYPICAL_WEEKS)
    hours = query(
        "calls_by_hour",
        day_start=periods.day_start(day),
        before=tuple(periods.day_start(d) for d in earlier),
        now=widgets.query_moment(),
        team_id=team_id,
        am_id=am_id,
    )
    labels = [f"{hour:02d}:00" for hour in hours["hour"]]
    weekday = f"{day:%A}"
    figure = go.Figure()
    figure.add_bar(x=labels, y=hours["calls"], name=f"today ({day:%Y-%m-%d})")
    figure.add_scatter(
        x=labels,
        y=hours["typical_calls"],
        mode="lines+markers",
        name=f"typical {weekday} (mean of the {definitions.TYPICAL_WEEKS} before)",
    )
    figure.update_layout(
        xaxis_title=f"hour of the day ({periods.days_label()})",
        yaxis=charts.count_axis(
            hours["calls"], hours["typical_calls"], axis={"title": {"text": "calls"}}
        ),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
        margin=dict(t=40),
    )
    st.plotly_chart(figure, key="sales.today_hours")
    typical = HELP["typical_day"]
    st.caption(f"Calls per hour. Typical {weekday}: {typical[0].lower()}{typical[1:]}")


def section(team_id: int | None, am_id: int | None) -> None:
    """The "who is behind today" part of the sales dashboard."""
    assessed, now = who_is_behind(team_id, am_id)
    local = pd.Timestamp(now).tz_convert(viewer_time_zone())
    st.subheader(f"Who is behind today, and why, at {local:%H:%M}")
    if assessed.empty:
        st.caption(
            f"Nothing for {periods.today()} yet: the warehouse holds no account manager's "
            "figures for today (see the data's time above)."
        )
        return
    count = int(assessed["is_behind"].sum())
    st.caption(f"{formats.things(count, 'AM')} of {len(assessed)} behind. {HELP['behind']}")
    per_am = shown_per_am(assessed)
    st.dataframe(
        per_am,
        column_config=AM_COLUMNS,
        hide_index=True,
        placeholder="",
        key="sales.behind",
        height=widgets.table_height(len(per_am)),
    )
    widgets.csv_export(
        exported_per_am(assessed),
        f"sales-behind-{periods.today()}.csv",
        key="sales.behind_export",
    )
    st.markdown("**Teams today**")
    per_team = shown_per_team(behind.subtotals(assessed))
    st.dataframe(
        per_team,
        column_config=TEAM_COLUMNS,
        hide_index=True,
        placeholder="",
        key="sales.teams_today",
        height=widgets.table_height(len(per_team)),
    )
    hour_chart(team_id, am_id, now)
