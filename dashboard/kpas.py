"""The executive KPAs: a full day against the same weekday last week and its 4-week average;
a day still running (today) against yesterday and the same weekday last week to the same
minute, never against whole days.

Counts are averaged over the same weekdays the warehouse holds (days before the data begins are
left out, not counted as zeros); a ratio's average is pooled (the sum of its numerators over the
sum of its denominators), so a quiet day does not weigh as much as a busy one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pandas as pd

from crm.time_zones import floor_zone
from dashboard import periods
from dashboard.periods import same_weekday_before

WEEKS = 4
TREND_DAYS = 56  # 8 weeks

COUNTS = {
    "registrations": "Registrations",
    "ftds": "FTDs",
    "deposits": "Deposits",
    "deposit_usd": "Deposit USD",
    "calls": "Calls",
    "connected_calls": "Connected calls",
}
RATIOS = {
    # KPA: (label, numerator, denominator)
    "call_ratio": ("Call ratio", "connected_calls", "calls"),
    "cohort_conversion": ("Cohort conversion (7 days)", "cohort_ftds", "registrations"),
    "conversion_rate": ("FTDs per registration (same day)", "ftds", "registrations"),
}
KPAS = {**COUNTS, **{name: label for name, (label, _, _) in RATIOS.items()}}


def kind_of(kpa: str) -> str:
    """ "ratio", "usd" or "count": how the KPA's figures read (a count shows whole numbers)."""
    return "ratio" if kpa in RATIOS else "usd" if kpa == "deposit_usd" else "count"


@dataclass(frozen=True)
class Comparison:
    kpa: str
    label: str
    day: float | None
    last_week: float | None
    average: float | None = None
    yesterday: float | None = None

    @property
    def kind(self) -> str:
        """How the figure is written (see ``dashboard.formats.figure``)."""
        return kind_of(self.kpa)

    @property
    def average_kind(self) -> str:
        # An average of counts is a fraction: shown with decimals.
        return "average" if self.kind == "count" else self.kind


def trend_window(day: date) -> tuple[date, date]:
    """The days the trend lines cover: the 8 weeks up to and including ``day``."""
    return day - timedelta(days=TREND_DAYS - 1), day


def trend(kpa_days: pd.DataFrame, today: date) -> pd.DataFrame:
    """The rows the trend lines draw: full days only (before ``today``, which is still
    running and would fall off a cliff at the right edge; issue 23), with the cohort
    conversion of cohorts still open left out (their 7 days are not over: drawn, the line
    would slide to 0 over the last week)."""
    days = pd.to_datetime(kpa_days["day"]).dt.date
    rows = kpa_days[days < today].copy()
    if "is_cohort_closed" in rows:
        closed = rows["is_cohort_closed"].fillna(False).astype(bool)
        rows["cohort_conversion"] = rows["cohort_conversion"].where(closed)
    return rows


def cohort_final_after(day: date) -> date:
    """The last day of ``day``'s cohort's 7 days: its conversion is final once it is over
    (``mart_daily_kpa.is_cohort_closed``)."""
    return day + timedelta(days=7)


def _value(rows: pd.DataFrame, kpa: str) -> float | None:
    if rows.empty:
        return None
    if kpa in RATIOS:
        _, numerator, denominator = RATIOS[kpa]
        total = rows[denominator].sum()
        return float(rows[numerator].sum() / total) if total else None
    return float(rows[kpa].sum()) / len(rows)


def compare(kpa_days: pd.DataFrame, day: date) -> list[Comparison]:
    """Each KPA on ``day``, the same weekday a week before, and the 4 weeks' average.

    ``kpa_days`` holds rows of ``mart_daily_kpa`` (the ``kpa_days`` query) covering at least
    the 4 weeks before ``day``.
    """
    days = pd.to_datetime(kpa_days["day"]).dt.date
    on = kpa_days[days == day]
    before = same_weekday_before(day, WEEKS)
    last_week = kpa_days[days == before[0]]
    weeks = kpa_days[days.isin(before)]
    return [
        Comparison(kpa, label, _value(on, kpa), _value(last_week, kpa), _value(weeks, kpa))
        for kpa, label in KPAS.items()
    ]


def so_far_windows(moment: datetime) -> dict[str, tuple[datetime, datetime]]:
    """The windows a day still running at ``moment`` is compared in: today from the floor's
    midnight to ``moment``, and yesterday and the same weekday last week each to the same minute
    of the floor's clock (UTC moments)."""
    moment = moment.astimezone(timezone.utc).replace(second=0, microsecond=0)
    today = moment.astimezone(floor_zone()).date()
    return {
        when: periods.same_minute(periods.Period(today - back, today - back), moment)
        for when, back in (
            ("today", timedelta(0)),
            ("yesterday", timedelta(days=1)),
            ("last_week", timedelta(weeks=1)),
        )
    }


def compare_so_far(windows: dict[str, pd.DataFrame]) -> list[Comparison]:
    """Each KPA of today so far, of yesterday and of the same weekday last week to the same
    minute; ``windows`` holds one ``kpa_window`` row for each of ``so_far_windows``' keys."""
    return [
        Comparison(
            kpa,
            label,
            _value(windows["today"], kpa),
            _value(windows["last_week"], kpa),
            yesterday=_value(windows["yesterday"], kpa),
        )
        for kpa, label in KPAS.items()
    ]
