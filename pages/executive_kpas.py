"""F13 Executive KPAs: the day at a glance, against the same weekday last week and its
4-week average, with each KPA's trend over 8 weeks."""

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import formats, kpas, periods, widgets
from dashboard.data import query

st.title("Executive KPAs")
run = widgets.require_warehouse()
day = st.date_input("Day (UTC)", value=periods.today(), key="kpa.day")
widgets.freshness_line(run)

first, last = kpas.trend_window(day)
history = query("kpa_days", first_day=first, last_day=last)
if history.empty:
    widgets.empty_state(
        "registrations, FTDs, deposits, calls, call ratio and conversion rate for the day, "
        "against the same weekday last week and its 4-week average, with 8-week trends"
    )
    st.stop()

comparisons = kpas.compare(history, day)


for row in (comparisons[:4], comparisons[4:]):
    for column, item in zip(st.columns(len(row)), row, strict=True):
        column.metric(
            item.label,
            formats.tile(item.day, item.kind),
            formats.change(item.day, item.last_week, item.kind),
            help=f"same weekday last week: {formats.figure(item.last_week, item.kind)}; "
            f"4-week average: {formats.figure(item.average, item.average_kind)}",
        )
st.caption(
    f"{day:%A} {day} against {periods.same_weekday_before(day, 1)[0]} and the average of the "
    f"same weekday over the {kpas.WEEKS} weeks before (ratios pooled over those days)."
)

table = pd.DataFrame(
    {
        "KPA": [item.label for item in comparisons],
        "Day": [formats.figure(item.day, item.kind) for item in comparisons],
        "Same weekday last week": [
            formats.figure(item.last_week, item.kind) for item in comparisons
        ],
        "4-week average": [formats.figure(item.average, item.average_kind) for item in comparisons],
    }
)
st.dataframe(table, hide_index=True, key="kpa.table")
widgets.csv_export(table, f"kpas-{day}.csv", key="kpa.export")

st.subheader("Trend, last 8 weeks")
for pair in (list(kpas.KPAS.items())[i : i + 2] for i in range(0, len(kpas.KPAS), 2)):
    for column, (kpa, label) in zip(st.columns(2), pair, strict=True):
        figure = px.line(history, x="day", y=kpa, title=label, labels={"day": "", kpa: ""})
        if kpa in kpas.RATIOS:
            figure.update_yaxes(tickformat=".0%")
        column.plotly_chart(figure, key=f"kpa.trend.{kpa}")
