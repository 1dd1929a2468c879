"""What the demo's generator computes with: time in integer microseconds, each lead's local
day, weighted draws, exact money in cents, NULLs beside numpy arrays, and the ids of each table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from crm.demo import reference as ref
from crm.email import render_email

US = 1_000_000  # microseconds per second
MINUTE = 60 * US
HOUR = 3600 * US
DAY = 86_400 * US


class Clock:
    """UTC ↔ a lead's local wall clock, vectorised over many leads' zones at once."""

    def __init__(self, start_us: int, until_us: int):
        self.zones = sorted({zone for market in ref.MARKETS for zone in market.time_zones})
        self.zone_index = {zone: i for i, zone in enumerate(self.zones)}
        self.first_day = start_us // DAY - 2
        days = until_us // DAY + 3 - self.first_day
        offsets = np.empty((len(self.zones), days), dtype=np.int64)
        for z, zone in enumerate(self.zones):
            info = ZoneInfo(zone)
            for d in range(days):
                noon = datetime(1970, 1, 1, 12, tzinfo=timezone.utc) + timedelta(
                    days=self.first_day + d
                )
                offsets[z, d] = int(noon.astimezone(info).utcoffset().total_seconds()) * US
        self.offsets = offsets

    def offset(self, zone: np.ndarray, utc_us: np.ndarray) -> np.ndarray:
        day = np.clip(utc_us // DAY - self.first_day, 0, self.offsets.shape[1] - 1)
        return self.offsets[zone, day]

    def local_midnight_utc(self, zone: np.ndarray, utc_us: np.ndarray) -> np.ndarray:
        """The UTC instant of local midnight on the local date of ``utc_us``."""
        offset = self.offset(zone, utc_us)
        return (utc_us + offset) // DAY * DAY - offset

    def at_local_hours(self, zone, utc_us, rng, first_hour: float, last_hour: float):
        """On each instant's local date, a random time between two local hours (as UTC)."""
        seconds = rng.uniform(first_hour * 3600, last_hour * 3600, len(utc_us)).astype(np.int64)
        return self.local_midnight_utc(zone, utc_us) + seconds * US


def pick(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    weights = np.asarray(weights, dtype=float)
    return rng.choice(len(weights), size=size, p=weights / weights.sum())


def usd_cents(cents: np.ndarray, currency_index: np.ndarray, rates_e8: np.ndarray) -> np.ndarray:
    """Exact conversion to USD cents, half up, in integers (rates are kept as 1e-8 units)."""
    product = cents * rates_e8[currency_index]
    return (product + 50_000_000) // 100_000_000


@dataclass
class Counters:
    """Next id of each table, carried from chunk to chunk so ids are global and stable."""

    ids: dict[str, int] = field(default_factory=dict)

    def take(self, table: str, count: int) -> np.ndarray:
        first = self.ids.get(table, 1)
        self.ids[table] = first + count
        return np.arange(first, first + count, dtype=np.int64)


def last_before(
    lead: np.ndarray, at: np.ndarray, of_lead: np.ndarray, before: np.ndarray
) -> np.ndarray:
    """For each (of_lead, before): the index in (lead, at), sorted by lead then time, of the
    lead's last event at or before ``before``; -1 when there is none."""
    if not len(lead) or not len(of_lead):
        return np.full(len(of_lead), -1)
    # One sorted key: the lead, then the time in seconds since the first event.
    origin = min(int(at.min()), int(before.min())) // US
    scale = max(int(at.max()), int(before.max())) // US - origin + 2
    key = lead * scale + (at // US - origin)
    probe = of_lead * scale + (before // US - origin)
    index = np.searchsorted(key, probe, side="right") - 1
    valid = index >= 0
    valid[valid] = lead[index[valid]] == of_lead[valid]
    return np.where(valid, index, -1)


@lru_cache(maxsize=100_000)
def rendered_email(template: str, first_name: str, phone_tail: str):
    # A mail depends only on the first name and the phone's last digits: render each once.
    return render_email(template, first_name=first_name, phone=phone_tail)


@dataclass(frozen=True)
class Masked:
    """A column's values where ``valid`` is False stand for NULL."""

    values: np.ndarray
    valid: np.ndarray


def pa_nullable(ids: np.ndarray) -> Masked:
    """Staff ids where 0 means "nobody": NULL in the database."""
    return Masked(ids, ids != 0)
