"""F13 Executive KPAs: the day at a glance with each KPA's trend over 8 weeks. A full day is
compared with the same weekday last week and its 4-week average; today, still running, with
yesterday and the same weekday last week to the same minute."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import charts, definitions, formats, kpas, periods, widgets
from dashboard.data import query

st.title("Executive KPAs")
run = widgets.require_warehouse()
day = st.date_input(f"Day ({periods.days_label()})", value=periods.today(), key="kpa.day")
widgets.freshness_line(run)

first, last = kpas.trend_window(day)
history = query("kpa_days", first_day=first, last_day=last)
if history.empty:
    widgets.empty_state(
        "registrations, FTDs, deposits, calls, call ratio and conversion rate for the day, "
        "against the same weekday last week and its 4-week average, with 8-week trends"
    )
    st.stop()

moment = periods.now()
running = periods.is_running(day)
if running:
    windows = kpas.so_far_windows(moment)
    until = periods.floor_clock(windows["today"][1])
    comparisons = kpas.compare_so_far(
        {when: query("kpa_window", start=a, end=b) for when, (a, b) in windows.items()}
    )
    columns = {
        f"Today to {until}": "day",
        f"Yesterday to {until}": "yesterday",
        f"Same weekday last week to {until}": "last_week",
    }
else:
    comparisons = kpas.compare(history, day)
    columns = {"Day": "day", "Same weekday last week": "last_week", "4-week average": "average"}


def shown(item: kpas.Comparison, field: str) -> str:
    kind = item.average_kind if field == "average" else item.kind
    return formats.figure(getattr(item, field), kind)


against = "yesterday" if running else "last_week"
final_after = kpas.cohort_final_after(day)
cohort_open = final_after >= periods.today()
for column, item in zip(widgets.tile_columns(len(comparisons)), comparisons, strict=True):
    others = "; ".join(f"{name}: {shown(item, field)}" for name, field in columns.items())
    if item.kpa == "cohort_conversion" and cohort_open:
        # A cohort still open has only some of its 7 days: its rate so far is no result, and
        # a change against a closed cohort's says nothing. The date says when to look again.
        column.metric(
            item.label,
            "open",
            None,
            help=f"{definitions.HELP[item.kpa]} — {day}'s cohort is open until {final_after} "
            f"ends: its conversion is final from {final_after + timedelta(days=1)}. So far: "
            f"{others}",
        )
        continue
    column.metric(
        item.label,
        formats.tile(item.day, item.kind),
        formats.change(item.day, getattr(item, against), item.kind),
        help=f"{definitions.HELP[item.kpa]} — {others}",
    )
if running:
    st.caption(
        f"Today so far, to {until}, against yesterday and {day:%A} last week, each to {until} "
        f"(the change shown is against yesterday). {definitions.HELP['so_far']}"
    )
else:
    st.caption(
        f"{day:%A} {day} against {periods.same_weekday_before(day, 1)[0]} and the average of "
        f"the same weekday over the {kpas.WEEKS} weeks before (ratios pooled over those days)."
    )

credit = query("deposit_credit", first_day=day, last_day=day)
self_deposits = credit.iloc[1]
st.caption(
    f"Deposits count every approved deposit, on the day it was approved. Of the whole day's, "
    "not credited to an AM (no owning AM): "
    f"{formats.things(self_deposits['deposits'], 'deposit')}, "
    f"{formats.usd(self_deposits['deposit_usd'])}, "
    f"{formats.things(self_deposits['ftds'], 'FTD')} — the sales dashboard leaves these out."
)

table = pd.DataFrame(
    {"KPA": [item.label for item in comparisons]}
    | {name: [shown(item, field) for item in comparisons] for name, field in columns.items()}
)
st.dataframe(table, hide_index=True, placeholder="", key="kpa.table")
widgets.csv_export(table, f"kpas-{day}.csv", key="kpa.export")

st.subheader("Trend, last 8 weeks")
trend = kpas.trend(history, periods.today())
st.caption(
    "Full days only, up to yesterday: today is still running and a part of a day is not "
    "compared with whole days. Cohort conversion shows closed cohorts only (the 7 days of a "
    "later cohort are not over). Counts start at 0."
)
for pair in (list(kpas.KPAS.items())[i : i + 2] for i in range(0, len(kpas.KPAS), 2)):
    for column, (kpa, label) in zip(st.columns(2), pair, strict=False):
        charts.line(
            trend,
            "day",
            kpa,
            key=f"kpa.trend.{kpa}",
            title=label,
            percent=kpa in kpas.RATIOS,
            count=kpas.kind_of(kpa) == "count",
            from_zero=kpas.kind_of(kpa) != "ratio",
            place=column,
        )
