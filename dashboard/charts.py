"""The pages' charts, drawn with Plotly's figure objects rather than Plotly Express.

Plotly Express costs 20-30 ms of CPU a figure (it works out its traces from the frame through
a general grouping machinery), where building the same figure from its traces costs 1-2 ms
(its layout given whole: each ``update_xaxes`` costs another 2 ms). On the Executive KPAs (9
trend lines) and the Sales dashboard (4 charts) Express was most of a view's CPU on the server
(BENCHMARKS.md, Dashboard pages; bench/HISTORY.md, Serving, 2026-12-05 evening). The figures
are the ones Express drew: the same traces, axis titles, hover text and number formats, in
Streamlit's theme.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

# Up to this many, a count axis ticks every whole number; above it Plotly's own ticks are whole
# numbers already (steps of 2, 5, 10 ...), and only their labels need the integer format.
COUNT_TICKS_EVERY_ONE = 10


def count_axis(*values, axis: dict | None = None) -> dict:
    """``axis`` (a Plotly axis) made to show whole numbers only, for counts of ``values`` (the
    plotted arrays): Plotly ticks a quiet day's 0 to 3 calls as 0, 0.5, 1 ... otherwise."""
    axis = dict(axis or {})
    axis["tickformat"] = ",d"
    axis.setdefault("rangemode", "nonnegative")
    tops = [pd.Series(v, dtype="float64").max() for v in values]
    top = max((t for t in tops if pd.notna(t)), default=0)
    if top <= COUNT_TICKS_EVERY_ONE:
        axis.update(tick0=0, dtick=1)
    return axis


def percent_ticks(values) -> str:
    """A tick format with the decimals the line's spread needs: Plotly ticks a call ratio
    between 30.4 % and 31.2 % every 0.2 %, which whole percents write "31%, 31%, 30%"."""
    values = pd.Series(values, dtype="float64").dropna()
    spread = float(values.max() - values.min()) if len(values) else 0.0
    # A flat line (or one point) gets Plotly's whole-unit range around it: whole percents.
    decimals = 0 if spread >= 0.05 or spread == 0 else 1 if spread >= 0.005 else 2
    return f".{decimals}%"


def _hover(x_title: str, y_title: str, name: str = "") -> str:
    # As Express writes it: "title=value" lines, the trace's own name first.
    lines = [f"{name}" if name else "", f"{x_title}=%{{x}}", f"{y_title}=%{{y}}"]
    return "<br>".join(line for line in lines if line) + "<extra></extra>"


def line(
    frame: pd.DataFrame,
    x: str,
    y: str,
    key: str,
    title: str | None = None,
    x_title: str = "",
    y_title: str = "",
    markers: bool = False,
    percent: bool = False,
    from_zero: bool = False,
    count: bool = False,
    place=None,
) -> None:
    """One line of ``y`` over ``x`` (days), drawn in ``place`` (default: the page); ``percent``
    shows the y axis as percentages, ``count`` as whole numbers, ``from_zero`` starts it at 0."""
    y_axis: dict = {"title": {"text": y_title}}
    if percent:
        y_axis["tickformat"] = percent_ticks(frame[y])
    if from_zero:
        y_axis["rangemode"] = "tozero"
    if count:
        y_axis = count_axis(frame[y], axis=y_axis)
    layout = {"margin": {"t": 60}, "xaxis": {"title": {"text": x_title}}, "yaxis": y_axis}
    if title:
        layout["title"] = {"text": title}
    figure = go.Figure(
        go.Scatter(
            x=frame[x].to_numpy(),
            y=frame[y].to_numpy(),
            mode="lines+markers" if markers else "lines",
            hovertemplate=_hover(x_title, y_title),
            showlegend=False,
        ),
        layout=layout,
    )
    (place or st).plotly_chart(figure, key=key)


def grouped_bars(
    frame: pd.DataFrame, x: str, columns: list[str], key: str, x_title: str, y_title: str
) -> None:
    """One group of bars per row of ``frame`` (in its order), one bar per column: counts, so
    the value axis shows whole numbers."""
    categories = frame[x].tolist()
    figure = go.Figure(
        [
            go.Bar(
                x=categories,
                y=frame[column].to_numpy(),
                name=column,
                offsetgroup=column,
                hovertemplate=_hover(x_title, y_title, column),
            )
            for column in columns
        ],
        layout={
            "barmode": "group",
            "legend": {"title": {"text": ""}},
            "margin": {"t": 60},
            "xaxis": {
                "title": {"text": x_title},
                "categoryorder": "array",
                "categoryarray": categories,
            },
            "yaxis": count_axis(*(frame[c] for c in columns), axis={"title": {"text": y_title}}),
        },
    )
    st.plotly_chart(figure, key=key)


def funnel(frame: pd.DataFrame, stage: str, value: str, key: str, value_title: str) -> None:
    """A funnel: one bar per row of ``frame`` (its stages, first at the top), of counts."""
    figure = go.Figure(
        go.Funnel(
            x=frame[value].to_numpy(),
            y=frame[stage].tolist(),
            hovertemplate=_hover(value_title, ""),
        ),
        layout={
            "margin": {"t": 60},
            "xaxis": count_axis(frame[value], axis={"title": {"text": value_title}}),
        },
    )
    st.plotly_chart(figure, key=key)
