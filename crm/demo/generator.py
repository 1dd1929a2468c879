"""A brokerage's history, generated in vectorised chunks of leads.

Every lead's life follows the sales operation in DOMAIN.md: registration (welcome email), first
logins, assignment to a conversion AM, calls (no answer → callback and follow-up, wrong number →
"reach you" email), deposit attempts (some declined with the provider's reason), the FTD,
compliance, hand-over to retention; self depositors go to upsale.

A latent "quality" per lead ties the behaviours together: keen leads log in more, answer more
calls and convert more. Proportions are tuned to a real floor: ~30 % of calls connected, ~7 % of
leads converted, ~15-20 % of deposit attempts declined.

Everything is computed with numpy on arrays per chunk of leads (no per-row Python except the
few text columns), so a million leads take minutes, not hours. The same seed, size and end time
give the same rows, whichever database they go to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from crm.demo import reference as ref
from crm.demo.calls import OUTCOMES, ShiftTable, floor_calls
from crm.demo.reference import DEVICES, EMAIL_DOMAINS, ascii_slug
from crm.demo.staffing import Staffing, staff_team
from crm.email import render_email
from crm.settings import DEFAULT_WORKING_DAYS, WorkingDays

US = 1_000_000  # microseconds per second
MINUTE = 60 * US
HOUR = 3600 * US
DAY = 86_400 * US

CHUNK_LEADS = 25_000
CALLS_PER_LEAD = 9.5  # calls a lead gets on average: sizes the floor
CALLS_PER_AM_DAY = 125  # what an AM makes on a working day at 2.6-4.4 h of talk
MAX_AMS = 1_000
RETENTION_SHARE = 0.12  # of the AMs: the retention desk's book starts empty
CONVERSION_TEAM_OF_MARKET = {
    "BR": "Conversion LatAm",
    "MX": "Conversion LatAm",
    "CO": "Conversion LatAm",
    "CL": "Conversion LatAm",
    "AE": "Conversion MENA",
    "SA": "Conversion MENA",
    "TR": "Conversion MENA",
}
RETENTION_TEAM_OF_MARKET = {
    "IN": "Retention Asia-Pacific",
    "MY": "Retention Asia-Pacific",
    "TH": "Retention Asia-Pacific",
    "JP": "Retention Asia-Pacific",
    "AU": "Retention Asia-Pacific",
}
# Share of a lead's registrations by weekday (Monday first) and local hour.
WEEKDAY_WEIGHT = np.array([1.0, 1.05, 1.0, 0.95, 0.9, 0.6, 0.55])
HOUR_WEIGHT = np.array(
    [2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 6, 6, 6, 6, 6, 7, 8, 9, 9, 8, 6, 4], dtype=float
)
# Of the leads an AM works, the share whose FTD (and of the top-ups, the share) comes within
# hours of a connected call: a talk is what makes a client deposit.
FTD_AFTER_CALL_SHARE = 0.85
TOP_UP_AFTER_CALL_SHARE = 0.9
CARD_ONLY_REASONS = {"3-D Secure failed", "card expired"}


@dataclass
class StaffMember:
    id: int
    name: str
    email: str
    role: str
    desk: str | None
    team: str | None
    time_zone: str
    is_active: bool = True


@dataclass
class Cast:
    """The people and teams of the demo brokerage."""

    teams: list[tuple[int, str, str]]  # (id, name, desk)
    staff: list[StaffMember]
    ams_by_team: dict[str, np.ndarray] = field(default_factory=dict)  # active AM ids

    def ids(self, role: str) -> np.ndarray:
        return np.array([s.id for s in self.staff if s.role == role and s.is_active])


def build_cast(
    leads: int, days: int, rng: np.random.Generator, *, working_days: int, chunks: int = 1
) -> Cast:
    """Teams and staff sized to the floor.

    Enough AMs that each makes about ``CALLS_PER_AM_DAY`` calls a working day; the conversion
    teams sized by the share of registrations their markets bring, the retention desk small
    (its book of clients is built up during the demo). Every team has at least one AM per chunk
    of leads: each AM works the leads of one chunk only, so that the chunk, generated on its
    own, holds the AM's whole day and can keep the AM's calls from overlapping.
    """
    teams = [(i + 1, name, desk) for i, (name, desk, _zone) in enumerate(ref.TEAMS)]
    zone_of_team = {name: zone for name, _desk, zone in ref.TEAMS}
    staff: list[StaffMember] = []
    names = StaffNames(rng)

    def person(role: str, desk: str | None, team: str | None, zone: str, active=True):
        first, last, email = names.draw(ref.TEAM_NAMES.get(team or "", ("en",)))
        staff.append(
            StaffMember(
                len(staff) + 1,
                f"{first} {last}",
                f"{email}@starboard.demo",
                role,
                desk,
                team,
                zone,
                active,
            )
        )

    person("admin", None, None, "Europe/London")
    for _ in range(2):
        person("sales_manager", None, None, "Europe/London")
    for _ in range(2):
        person("lead_manager", None, None, "Europe/London")
    person("executive", None, None, "Europe/London")

    wanted = round(leads * CALLS_PER_LEAD / max(working_days, 1) / CALLS_PER_AM_DAY)
    ams = int(np.clip(wanted, 12, MAX_AMS))
    share = {team: 0.0 for team, _desk, _zone in ref.TEAMS}
    for market in ref.MARKETS:
        share[CONVERSION_TEAM_OF_MARKET.get(market.country, "Conversion London")] += market.weight
        share[RETENTION_TEAM_OF_MARKET.get(market.country, "Retention Global")] += market.weight
    retention_ams = round(ams * RETENTION_SHARE)
    for name, desk, zone in ref.TEAMS:
        desk_ams = retention_ams if desk == "retention" else ams - retention_ams
        desk_total = sum(share[t] for t, d, _z in ref.TEAMS if d == desk)
        for _ in range(max(chunks, round(desk_ams * share[name] / desk_total))):
            person("account_manager", desk, name, zone)
    # People who left: they keep their history, but own nothing and sign in to nothing.
    person(
        "account_manager",
        "conversion",
        "Conversion London",
        zone_of_team["Conversion London"],
        active=False,
    )

    cast = Cast(teams=teams, staff=staff)
    for name, _desk, _zone in ref.TEAMS:
        cast.ams_by_team[name] = np.array(
            [s.id for s in staff if s.team == name and s.is_active and s.role == "account_manager"]
        )
    return cast


class StaffNames:
    """Unique, realistic staff names: a first and a last name from one of the team's markets'
    lists, never a number; the e-mail is first.last, and a second person with the same name is
    drawn again (from every market's list once the team's own run out, then across lists)."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.used: set[str] = set()

    def draw(self, lists: tuple[str, ...]) -> tuple[str, str, str]:
        everyone = tuple(ref.NAMES)
        for attempt in range(1_000):
            pool = lists if attempt < 50 else everyone
            firsts, lasts = ref.NAMES[pool[self.rng.integers(len(pool))]]
            if attempt >= 100:  # a floor of a thousand: names of two markets, as people have
                lasts = ref.NAMES[pool[self.rng.integers(len(pool))]][1]
            first = firsts[self.rng.integers(len(firsts))]
            last = lasts[self.rng.integers(len(lasts))]
            email = f"{ascii_slug(first)}.{ascii_slug(last)}"
            if email not in self.used:
                self.used.add(email)
                return first, last, email
        raise ValueError("the demo's name lists are too short for this many staff")


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


class Generator:
    def __init__(
        self,
        leads: int,
        days: int,
        seed: int,
        until: datetime,
        working_days: WorkingDays = DEFAULT_WORKING_DAYS,
    ):
        self.total_leads = leads
        self.days = days
        self.seed = seed
        self.until_us = int(until.timestamp()) * US
        self.start_us = self.until_us - days * DAY
        self.clock = Clock(self.start_us, self.until_us)
        self.working_days = working_days
        self.chunk_count = max(1, -(-leads // CHUNK_LEADS))
        first = datetime.fromtimestamp(self.start_us // US, timezone.utc).date()
        worked = sum(working_days.contains(first + timedelta(days=d)) for d in range(days + 1))
        self.cast = build_cast(
            leads,
            days,
            np.random.default_rng([seed, 0]),
            working_days=worked,
            chunks=self.chunk_count,
        )
        self.shifts = ShiftTable(self)
        self.counters = Counters()
        self.currencies = sorted(ref.USD_RATES)
        self.currency_index = {code: i for i, code in enumerate(self.currencies)}
        self.rates_e8 = np.array(
            [int(ref.USD_RATES[c] * 100_000_000) for c in self.currencies], dtype=np.int64
        )
        self.typical_cents = np.array(
            [ref.TYPICAL_DEPOSIT[c] * 100 for c in self.currencies], dtype=np.int64
        )
        self.team_names = [name for name, _d, _z in ref.TEAMS]
        self.lead_managers = self.cast.ids("lead_manager")
        self.sales_managers = self.cast.ids("sales_manager")
        self._day_weights = self._registration_day_weights()
        self.staffing = self._staff_the_floor()

    def _staff_the_floor(self) -> Staffing:
        """Who works from when, and each lead's AMs (``crm.demo.staffing``), from a first
        pass over every chunk's registrations, assignments and hand-overs to retention."""
        staffing = Staffing()
        chunks = self.chunk_count

        def first_shift(am_id: int, ready_us: int) -> int | None:
            blocks = self.shifts.blocks[am_id]
            day = int(np.searchsorted(blocks[:, 0, 0], ready_us + HOUR))
            if day < len(blocks) and blocks[day, -1, 1] <= self.until_us:
                return int(blocks[day, 0, 0])
            return None

        for index, chunk in enumerate(self._chunk_flows()):
            conversion = (np.zeros(chunk.n, np.int64), chunk.assigned_at.copy())
            retention = (np.zeros(chunk.n, np.int64), chunk.retention_at.copy())
            for name, _desk, _zone in ref.TEAMS:
                pool = self.cast.ams_by_team[name]
                pool = pool[index % chunks :: chunks] if len(pool) >= chunks else pool
                if _desk == "conversion":
                    owner, at = conversion
                    mine = np.flatnonzero(chunk.is_assigned & (chunk.conv_team == name))
                    times = chunk.assigned_at[mine]
                else:
                    owner, at = retention
                    mine = np.flatnonzero(chunk.to_retention & (chunk.retention_team == name))
                    times = chunk.retention_at[mine]
                who, when, first = staff_team(times, [int(a) for a in pool], first_shift)
                owner[mine], at[mine] = who, when
                staffing.first_shift_us.update(first)
            staffing.conversion.append(conversion)
            staffing.retention.append(retention)
        # An AM the book never needed is left out; the others work from their first shift.
        self.cast.staff = [
            s
            for s in self.cast.staff
            if s.role != "account_manager" or not s.is_active or staffing.started(s.id)
        ]
        for name in self.cast.ams_by_team:
            self.cast.ams_by_team[name] = np.array(
                [a for a in self.cast.ams_by_team[name] if staffing.started(int(a))], np.int64
            )
        for am_id, blocks in list(self.shifts.blocks.items()):
            if not staffing.started(am_id):
                del self.shifts.blocks[am_id]
                continue
            first = np.searchsorted(blocks[:, 0, 0], staffing.first_shift_us[am_id])
            self.shifts.blocks[am_id] = blocks[first:]
        return staffing

    def _chunk_flows(self):
        """Each chunk's leads as far as their teams and the times they reach them."""
        for index, first in enumerate(range(0, self.total_leads, CHUNK_LEADS)):
            size = min(CHUNK_LEADS, self.total_leads - first)
            rng = np.random.default_rng([self.seed, 100 + index])
            chunk = LeadChunk(self, rng, first_id=first + 1, size=size, index=index)
            chunk.flows()
            yield chunk

    # ------------------------------------------------------------------ reference rows
    def reference_tables(self) -> dict[str, dict]:
        now = self.until_us
        teams = self.cast.teams
        staff = self.cast.staff
        team_id = {name: i for i, name, _d in teams}
        # An AM's account is made an hour before their first shift (``crm.demo.staffing``);
        # everyone else's, and the departed AM's, before the history.
        first_shift = self.staffing.first_shift_us
        joined = np.array(
            [
                first_shift[s.id] - HOUR if s.id in first_shift else self.start_us - 30 * DAY
                for s in staff
            ],
            np.int64,
        )
        staff_rows = {
            "id": [s.id for s in staff],
            "name": [s.name for s in staff],
            "email": [s.email for s in staff],
            "role": [s.role for s in staff],
            "desk": [s.desk for s in staff],
            "team_id": [team_id.get(s.team) for s in staff],
            "time_zone": [s.time_zone for s in staff],
            "is_active": [s.is_active for s in staff],
            "created_at": joined,
            "updated_at": joined,
        }
        return {
            "teams": {
                "id": [t[0] for t in teams],
                "name": [t[1] for t in teams],
                "desk": [t[2] for t in teams],
                "created_at": np.full(len(teams), self.start_us - 60 * DAY),
                "updated_at": np.full(len(teams), self.start_us - 60 * DAY),
            },
            "staff": staff_rows,
            "currencies": {
                "code": self.currencies,
                "usd_rate": [ref.USD_RATES[c] for c in self.currencies],
                "updated_at": np.full(len(self.currencies), now - DAY),
            },
            "am_targets": self._targets(),
        }

    def _targets(self) -> dict:
        rng = np.random.default_rng([self.seed, 1])
        first = datetime.fromtimestamp(self.start_us / US, timezone.utc).date().replace(day=1)
        last = datetime.fromtimestamp(self.until_us / US, timezone.utc).date()
        months = []
        month = first
        while month <= last:
            following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
            months.append((month, following - timedelta(days=1)))
            month = following
        rows = {
            k: []
            for k in ("id", "am_id", "period_start", "period_end", "target_usd", "target_ftds")
        }
        for s in self.cast.staff:
            if s.role != "account_manager":
                continue
            for start, end in months:
                conversion = s.desk == "conversion"
                usd = int(
                    rng.integers(20, 61) * 1000 if conversion else rng.integers(80, 201) * 1000
                )
                rows["id"].append(len(rows["id"]) + 1)
                rows["am_id"].append(s.id)
                rows["period_start"].append(start)
                rows["period_end"].append(end)
                rows["target_usd"].append(Decimal(usd))
                rows["target_ftds"].append(int(rng.integers(10, 31)) if conversion else 0)
        stamp = self.start_us - DAY
        rows["created_at"] = np.full(len(rows["id"]), stamp)
        rows["updated_at"] = np.full(len(rows["id"]), stamp)
        return rows

    def _registration_day_weights(self) -> np.ndarray:
        start_day = self.start_us // DAY
        weekdays = (np.arange(start_day, start_day + self.days) + 3) % 7  # 1970-01-01 = Thursday
        trend = np.linspace(0.8, 1.2, self.days)  # marketing spend grows
        return WEEKDAY_WEIGHT[weekdays] * trend

    # ------------------------------------------------------------------ one chunk of leads
    def chunks(self):
        for index, first in enumerate(range(0, self.total_leads, CHUNK_LEADS)):
            size = min(CHUNK_LEADS, self.total_leads - first)
            rng = np.random.default_rng([self.seed, 100 + index])
            yield LeadChunk(self, rng, first_id=first + 1, size=size, index=index).tables()


class LeadChunk:
    """The whole life of ``size`` leads, as table columns ready for the bulk writer."""

    def __init__(
        self, gen: Generator, rng: np.random.Generator, first_id: int, size: int, index: int = 0
    ):
        self.g = gen
        self.index = index
        self.rng = rng
        # AM choices draw apart, so that the lead's own draws do not depend on the staffing.
        self.am_rng = np.random.default_rng([gen.seed, 100 + index, 1])
        self.n = size
        self.ids = np.arange(first_id, first_id + size, dtype=np.int64)
        self.until = gen.until_us
        self.out: dict[str, dict] = {}

    def flows(self) -> None:
        """Who registers when, their teams, and when they reach them: all that the floor's
        staffing depends on, drawn first so that a first pass gets the same values."""
        self._leads_profile()
        self._assignment()
        self._conversion()

    def tables(self) -> dict[str, dict]:
        self.flows()
        self._owners()
        self._names()
        self._calls()
        self._ftd_after_calls()
        self._self_deposits_and_upsale()
        self._deposits()
        self._sessions()
        self._statuses()
        self._notes_and_reviews()
        self._tickets()
        self._emails()
        self._lead_rows()
        # What happens after the demo's "now" (a call still going on, a mail's third attempt)
        # has not been written yet: no row may say it was. The ETL reads by updated_at, and a
        # stamp from the future would hold its watermark ahead of the next real changes.
        for rows in self.out.values():
            for stamp in ("created_at", "updated_at"):
                if stamp in rows:
                    rows[stamp] = np.minimum(rows[stamp], self.until)
        return self.out

    # Each step below adds arrays to self and, when complete, rows to self.out.

    def _leads_profile(self):
        g, rng, n = self.g, self.rng, self.n
        market = pick(rng, [m.weight for m in ref.MARKETS], n)
        zone_names = np.empty(n, dtype=object)
        for m_index, m in enumerate(ref.MARKETS):
            members = np.flatnonzero(market == m_index)
            shares = np.array([0.7, 0.2, 0.1, 0.05][: len(m.time_zones)])
            zone_names[members] = np.array(m.time_zones, dtype=object)[
                pick(rng, shares, len(members))
            ]
        self.market = market
        self.zone = np.array([g.clock.zone_index[z] for z in zone_names], dtype=np.int64)
        self.zone_names = zone_names
        self.quality = rng.beta(2, 5, n)

        day = pick(rng, g._day_weights, n)
        noon = g.start_us // DAY * DAY + day * DAY + 12 * HOUR
        hour = pick(rng, HOUR_WEIGHT, n)
        local = hour * HOUR + rng.integers(0, HOUR, n)
        registered = g.clock.local_midnight_utc(self.zone, noon) + local
        outside = (registered < g.start_us) | (registered >= self.until - MINUTE)
        registered[outside] = rng.integers(g.start_us, self.until - MINUTE, int(outside.sum()))
        self.registered = registered

        self.currency = np.array(
            [g.currency_index[ref.MARKETS[m].currency] for m in market], dtype=np.int64
        )

    def _team_ams(self, teams: np.ndarray, at: np.ndarray) -> np.ndarray:
        """A random AM of each given team name, among those who work this chunk and had
        started by ``at`` (0: none had)."""
        ams = np.zeros(len(teams), dtype=np.int64)
        chunks = self.g.chunk_count
        for team in np.unique(teams):
            members = np.flatnonzero(teams == team)
            pool = self.g.cast.ams_by_team[team]
            pool = pool[self.index % chunks :: chunks] if len(pool) >= chunks else pool
            if not len(pool):
                continue
            starts = np.array([self.g.staffing.first_shift_us[int(a)] for a in pool]) - HOUR
            drawn = self.am_rng.integers(0, len(pool), len(members))
            # One who had not started yet gives way to the first who had.
            started = starts[drawn] <= at[members]
            earliest = pool[np.argmin(starts)]
            ams[members] = np.where(
                started, pool[drawn], np.where(starts.min() <= at[members], earliest, 0)
            )
        return ams

    def _owners(self):
        """Each lead's conversion and retention AM, as the floor's staffing gave them; a lead
        waits for a new AM's first morning (``crm.demo.staffing``)."""
        conv_am, assigned_at = self.g.staffing.conversion[self.index]
        ret_am, retention_at = self.g.staffing.retention[self.index]
        self.is_assigned &= (conv_am != 0) & (assigned_at <= self.until)
        self.to_retention &= (ret_am != 0) & (retention_at <= self.until)
        # A client handed to retention before a conversion AM had started never had one.
        self.is_assigned &= ~(self.to_retention & (assigned_at >= retention_at))
        self.assigned_at = np.where(self.is_assigned, assigned_at, self.assigned_at)
        self.conv_am = np.where(self.is_assigned, conv_am, 0)
        self.retention_at = np.where(self.to_retention, retention_at, 0)
        self.ret_am = np.where(self.to_retention, ret_am, 0)

    def _assignment(self):
        rng, n = self.rng, self.n
        countries = np.array([ref.MARKETS[m].country for m in self.market], dtype=object)
        conv_team = np.array(
            [CONVERSION_TEAM_OF_MARKET.get(c, "Conversion London") for c in countries], dtype=object
        )
        self.retention_team = np.array(
            [RETENTION_TEAM_OF_MARKET.get(c, "Retention Global") for c in countries], dtype=object
        )
        assigned_at = self.registered + rng.exponential(3 * HOUR, n).astype(np.int64) + 5 * MINUTE
        never = rng.random(n) < 0.03
        self.is_assigned = ~never & (assigned_at <= self.until)
        self.assigned_at = assigned_at
        self.conv_team = conv_team

    def _calls(self):
        calls = floor_calls(self)
        # A call is recorded when it ends: none may still be going on at the demo's "now",
        # and none may come before the lead was its AM's (a lead assigned mid-shift).
        ok = (calls["at"] < self.until - MINUTE) & (
            self.owner_at(calls["lead"], calls["at"]) == calls["am"]
        )
        calls = {k: v[ok] for k, v in calls.items()}
        order = np.lexsort((calls["at"], calls["lead"]))
        self.call_lead, self.call_at = calls["lead"][order], calls["at"][order]
        self.call_am = calls["am"][order]
        self.call_outcome = np.array(OUTCOMES, dtype=object)[calls["outcome"][order]]
        ends_by = (self.until - self.call_at) // US - 1
        self.call_duration = np.minimum(calls["duration"][order], ends_by).astype(np.int64)
        self.first_call_at = np.full(self.n, np.iinfo(np.int64).max)
        np.minimum.at(self.first_call_at, self.call_lead, self.call_at)

    def _ftd_after_calls(self):
        """Most FTDs of leads an AM works come within hours of a connected call: move the FTD
        of such a lead to an hour or so after its last connected call before it."""
        rng = self.rng
        connected = self.call_outcome == "connected"
        lead = self.call_lead[connected]
        ended = self.call_at[connected] + self.call_duration[connected] * US
        last = last_before(lead, ended, np.arange(self.n), self.ftd_at)
        found = self.converted & (last >= 0) & (rng.random(self.n) < FTD_AFTER_CALL_SHARE)
        # (-1, no such call, reads the 0 appended: it is not used.)
        after = np.r_[ended, 0][last] + (rng.exponential(50, self.n) * MINUTE).astype(np.int64)
        self.ftd_at = np.where(found, np.minimum(after, self.ftd_at), self.ftd_at)

    def _conversion(self):
        rng, n = self.rng, self.n
        wants = rng.random(n) < 0.27 * self.quality
        ftd_at = self.registered + (rng.lognormal(np.log(3), 1.0, n) * DAY).astype(np.int64)
        self.converted = wants & (ftd_at < self.until - 10 * MINUTE)
        self.ftd_at = np.where(self.converted, ftd_at, 0)

        # Compliance: most converters get their documents approved within days.
        comp = pick(rng, [0.8, 0.15, 0.05], n)
        comp_at = self.ftd_at + (rng.uniform(0.5, 3, n) * DAY).astype(np.int64)
        approved = self.converted & (comp == 0) & (comp_at <= self.until)
        compliance = np.full(n, "not_started", dtype=object)
        compliance[rng.random(n) < 0.03] = "pending"
        compliance[self.converted] = "pending"
        compliance[approved] = "approved"
        compliance[self.converted & (comp == 2) & (comp_at <= self.until)] = "rejected"
        self.compliance = compliance

        handover = comp_at + rng.exponential(0.5 * DAY, n).astype(np.int64)
        self.to_retention = approved & (handover <= self.until)
        self.retention_at = np.where(self.to_retention, handover, 0)
        # Upsales are known once the calls are (a self deposit is one no call came before);
        # until then no lead is owned through one.
        self.upsale = np.zeros(n, bool)
        self.upsale_at = np.zeros(n, np.int64)

    def _self_deposits_and_upsale(self):
        rng, n = self.rng, self.n
        owned_before = self.is_assigned & (self.assigned_at <= self.ftd_at)
        called_before = self.first_call_at < self.ftd_at
        self.self_ftd = self.converted & ~(owned_before & called_before)
        # Self depositors go to a conversion AM for upsale, as a high-priority lead.
        upsale_at = self.ftd_at + rng.exponential(6 * HOUR, n).astype(np.int64) + 30 * MINUTE
        self.upsale = (
            self.self_ftd
            & (upsale_at <= self.until)
            & (~self.to_retention | (upsale_at < self.retention_at))
        )
        self.upsale_at = np.where(self.upsale, upsale_at, 0)
        need_am = self.upsale & (self.conv_am == 0)
        if need_am.any():
            countries = np.array(
                [ref.MARKETS[m].country for m in self.market[need_am]], dtype=object
            )
            teams = np.array(
                [CONVERSION_TEAM_OF_MARKET.get(c, "Conversion London") for c in countries],
                dtype=object,
            )
            self.conv_am[need_am] = self._team_ams(teams, self.upsale_at[need_am])
            # No AM of the team had started yet: no upsale.
            self.upsale &= self.conv_am != 0
            self.upsale_at = np.where(self.upsale, self.upsale_at, 0)
            need_am &= self.upsale
        self.upsale_from_am = np.where(self.upsale & ~need_am, self.conv_am, 0)

    def owner_at(self, lead: np.ndarray, at: np.ndarray) -> np.ndarray:
        """The owning AM of each lead at each instant (0 for none)."""
        conv_from = np.where(
            self.is_assigned[lead],
            self.assigned_at[lead],
            np.where(self.upsale[lead], self.upsale_at[lead], np.iinfo(np.int64).max),
        )
        owner = np.where(at >= conv_from, self.conv_am[lead], 0)
        return np.where(
            self.to_retention[lead] & (at >= self.retention_at[lead]), self.ret_am[lead], owner
        )

    def _deposits(self):
        g, rng, n = self.g, self.rng, self.n
        span = np.where(self.converted, self.until - self.ftd_at, 0)
        more = np.where(self.converted, rng.poisson(span / (6 * DAY)), 0)
        count = self.converted.astype(np.int64) + more
        lead = np.repeat(np.arange(n), count)
        first = np.zeros(len(lead), dtype=bool)
        first[np.cumsum(count)[self.converted] - count[self.converted]] = True
        at = np.where(
            first,
            self.ftd_at[lead],
            self.ftd_at[lead] + (rng.random(len(lead)) * span[lead]).astype(np.int64) + MINUTE,
        )
        approved_lead, approved_at = lead, np.minimum(at, self.until - MINUTE)
        # A client tops up mostly within hours of a talk with their AM.
        connected = self.call_outcome == "connected"
        c_lead = self.call_lead[connected]
        c_end = self.call_at[connected] + self.call_duration[connected] * US
        last = last_before(c_lead, c_end, approved_lead, approved_at)
        after = np.r_[c_end, 0][last] + (rng.exponential(50, len(approved_lead)) * MINUTE).astype(
            np.int64
        )
        moved = (
            ~first
            & (last >= 0)
            & (after > self.ftd_at[approved_lead] + MINUTE)
            & (rng.random(len(approved_lead)) < TOP_UP_AFTER_CALL_SHARE)
            # The last hour's attempts stay as they are: some are still with the provider.
            & (approved_at < self.until - HOUR)
        )
        approved_at = np.where(moved, np.minimum(after, approved_at), approved_at)

        # Some approved deposits were declined once first (a retry a few minutes later).
        retried = rng.random(len(approved_lead)) < 0.12
        retry_lead = approved_lead[retried]
        retry_at = approved_at[retried] - rng.integers(2 * MINUTE, 30 * MINUTE, int(retried.sum()))
        # Leads who tried and never got a deposit through: the failed deposits to chase.
        losers = np.flatnonzero(~self.converted)
        failures = int(round(len(approved_lead) * 0.08))
        fail_lead = losers[rng.integers(0, len(losers), failures)] if len(losers) else losers
        fail_at = self.registered[fail_lead] + (
            rng.lognormal(np.log(2), 1.0, len(fail_lead)) * DAY
        ).astype(np.int64)
        fail_ok = fail_at < self.until - MINUTE
        fail_lead, fail_at = fail_lead[fail_ok], fail_at[fail_ok]

        lead = np.concatenate([approved_lead, retry_lead, fail_lead])
        at = np.concatenate([approved_at, retry_at, fail_at])
        declined = np.concatenate(
            [np.zeros(len(approved_lead), bool), np.ones(len(retry_lead) + len(fail_lead), bool)]
        )
        is_ftd = np.concatenate([first, np.zeros(len(retry_lead) + len(fail_lead), bool)])
        order = np.lexsort((at, lead))
        lead, at, declined, is_ftd = lead[order], at[order], declined[order], is_ftd[order]
        m = len(lead)

        currency = self.currency[lead]
        typical = g.typical_cents[currency]
        amount = typical * rng.lognormal(0, 0.9, m)
        whale = rng.random(m) < 0.01
        amount[whale] *= rng.pareto(1.5, int(whale.sum())) + 5
        round_unit = np.maximum(typical // 5, 100)
        rounded = rng.random(m) < 0.6
        cents = np.where(
            rounded,
            np.maximum(np.round(amount / round_unit), 1) * round_unit,
            np.maximum(amount.astype(np.int64), 1000),
        ).astype(np.int64)
        usd = usd_cents(cents, currency, g.rates_e8)

        provider = pick(rng, [p[2] for p in ref.PROVIDERS], m)
        method = np.array([p[0] for p in ref.PROVIDERS], dtype=object)[provider]
        reasons = np.array([r[0] for r in ref.DECLINE_REASONS], dtype=object)
        reason = reasons[pick(rng, [r[1] for r in ref.DECLINE_REASONS], m)]
        not_card = (method != "card") & np.isin(reason, list(CARD_ONLY_REASONS))
        reason[not_card] = "provider timeout"
        status = np.where(declined, "declined", "approved").astype(object)
        # Still with the provider at the demo's end: the last minutes' attempts, and a wire
        # for up to a day.
        waiting = (at > self.until - 20 * MINUTE) | ((method == "wire") & (at > self.until - DAY))
        pending = ~declined & waiting & ~is_ftd
        status[pending] = "pending"
        reason = np.where(declined, reason, None)

        am = self.owner_at(lead, at)
        called = self.first_call_at[lead] < at
        self_deposit = ~declined & ((am == 0) | ~called)
        self.deposit = {
            "lead": lead,
            "at": at,
            "declined": declined,
            "am": am,
            "cents": cents,
            "currency": currency,
            "usd": usd,
            "is_ftd": is_ftd,
            "status": status,
            "reason": reason,
            "method": method,
            "provider": provider,
            "self": self_deposit,
        }
        ids = g.counters.take("deposit_attempts", m)
        self.deposit["id"] = ids
        self.out["deposit_attempts"] = {
            "id": ids,
            "lead_id": self.ids[lead],
            "am_id": pa_nullable(am),
            "amount": cents,
            "currency": np.array(g.currencies, dtype=object)[currency],
            "amount_usd": usd,
            "method": method,
            "provider": np.array([p[1] for p in ref.PROVIDERS], dtype=object)[provider],
            "status": status,
            "decline_reason": reason,
            "is_self_deposit": self_deposit,
            "is_ftd": is_ftd,
            # The provider answers a card in seconds; a pending attempt has no decision yet.
            "decided_at": Masked(at + 2 * US, status != "pending"),
            "created_at": at,
            "updated_at": np.where(status == "pending", self.until, at + 2 * US),
        }

        # Balance: what was deposited, moved by trading (kept exact in cents).
        credited = ~declined & (status == "approved")
        deposited = np.zeros(n, dtype=np.int64)
        np.add.at(deposited, lead[credited], cents[credited])
        pnl = rng.uniform(0.2, 1.15, n)
        self.balance = (deposited * pnl).astype(np.int64)

        # F4/F12: deposits on owned accounts reach the target board once a manager reviewed
        # them; the last day's wait in the New deposits review.
        board = credited & ~self_deposit & (am != 0) & (at < self.until - DAY)
        recorded = np.minimum(
            at[board] + rng.integers(HOUR, 20 * HOUR, int(board.sum())), self.until - HOUR
        )
        self.out["target_board_entries"] = {
            "id": g.counters.take("target_board_entries", int(board.sum())),
            "am_id": am[board],
            "deposit_id": ids[board],
            "amount_usd": usd[board],
            "recorded_by_id": g.sales_managers[
                rng.integers(0, len(g.sales_managers), int(board.sum()))
            ],
            "recorded_at": recorded,
            "created_at": recorded,
            "updated_at": recorded,
        }

    def _sessions(self):
        rng, n = self.rng, self.n
        base = 1 + rng.poisson(4 + 40 * self.quality)
        traded = np.where(self.converted, rng.poisson(0.5 * (self.until - self.ftd_at) / DAY), 0)
        comeback = ~self.converted & (rng.random(n) < 0.15)
        returns = np.where(comeback, 1 + rng.poisson(3, n), 0)
        part = np.concatenate(
            [
                np.zeros(int(base.sum()), np.int8),
                np.ones(int(traded.sum()), np.int8),
                np.full(int(returns.sum()), 2, np.int8),
            ]
        )
        lead = np.concatenate(
            [
                np.repeat(np.arange(n), base),
                np.repeat(np.arange(n), traded),
                np.repeat(np.arange(n), returns),
            ]
        )
        m = len(lead)
        fade = (4 + 20 * self.quality[lead]) * DAY
        login = self.registered[lead] + (rng.exponential(1, m) * fade).astype(np.int64)
        # The first session is the registration itself.
        first_of_lead = np.zeros(m, bool)
        first_of_lead[np.cumsum(base) - base] = True
        login[first_of_lead] = self.registered[lead[first_of_lead]] + 20 * US
        trading = part == 1
        login[trading] = self.ftd_at[lead[trading]] + (
            rng.random(int(trading.sum())) * (self.until - self.ftd_at[lead[trading]])
        ).astype(np.int64)
        # Comebacks: weeks of silence after the last visit, then a burst of logins.
        back = part == 2
        last_visit = np.zeros(n, dtype=np.int64)
        np.maximum.at(last_visit, lead[part == 0], login[part == 0])
        gap_end = last_visit + (rng.uniform(21, 45, n) * DAY).astype(np.int64)
        login[back] = gap_end[lead[back]] + (rng.exponential(2, int(back.sum())) * DAY).astype(
            np.int64
        )
        keep = login < self.until - MINUTE
        lead, login = lead[keep], login[keep]
        m = len(lead)
        duration = (
            np.minimum(rng.lognormal(np.log(15 * 60), 1.0, m), 8 * 3600).astype(np.int64) * US
        )
        last_seen = login + duration
        online = last_seen >= self.until
        last_seen = np.minimum(last_seen, self.until)
        logged_out = ~online & (rng.random(m) < 0.88)
        self.last_login = np.full(n, 0, dtype=np.int64)
        np.maximum.at(self.last_login, lead, login)
        self.out["platform_sessions"] = {
            "id": self.g.counters.take("platform_sessions", m),
            "lead_id": self.ids[lead],
            "login_at": login,
            "last_seen_at": last_seen,
            "logout_at": Masked(last_seen, logged_out),
            "device": np.array(DEVICES, dtype=object)[pick(rng, [0.45, 0.3, 0.25], m)],
            "updated_at": last_seen,
        }

    def _statuses(self):
        rng, n = self.rng, self.n
        last_call = np.full(n, -1, dtype=np.int64)
        if len(self.call_lead):
            ends = np.flatnonzero(np.r_[self.call_lead[1:] != self.call_lead[:-1], True])
            last_call[self.call_lead[ends]] = ends
        has_call = last_call >= 0
        # A lead never called reads the None appended (a demo of a weekend has no calls).
        last_outcome = np.r_[self.call_outcome, None][last_call]
        ever_connected = np.zeros(n, bool)
        ever_connected[self.call_lead[self.call_outcome == "connected"]] = True
        ever_wrong = np.zeros(n, bool)
        ever_wrong[self.call_lead[self.call_outcome == "wrong_number"]] = True
        self.ever_wrong = ever_wrong

        status = np.full(n, "new", dtype=object)
        status[self.is_assigned] = "assigned"
        status[self.is_assigned & has_call] = "contacted"
        retry = np.isin(last_outcome, ["no_answer", "busy", "voicemail"]) & self.is_assigned
        status[retry] = "follow_up"
        status[ever_wrong & ~ever_connected & self.is_assigned] = "lost"
        status[self.converted] = "converted"
        status[self.to_retention] = "retention"
        self.status = status

        # No answer: the AM set a callback 1-3 days on, in the lead's daytime.
        follow = status == "follow_up"
        last_at = np.r_[self.call_at, 0][last_call]
        callback = self.g.clock.at_local_hours(
            self.zone, last_at + rng.integers(1, 4, n) * DAY, rng, 10, 18
        )
        self.callback = np.where(follow, callback, 0)
        self.follow = follow
        self.last_call_at = last_at

        # Stars: today's callbacks, today's new assignments and upsales, set this morning.
        today = self.g.clock.local_midnight_utc(self.zone, np.full(n, self.until))
        due = follow & (self.callback >= today - DAY) & (self.callback < today + DAY)
        fresh = self.is_assigned & (self.assigned_at >= self.until - 12 * HOUR)
        starred = (due | fresh | (self.upsale & ~self.to_retention)) & (self.owner_now() != 0)
        starred &= ~self.converted | self.upsale
        self.starred = starred
        morning = np.maximum(self.until - rng.integers(1, 8 * 3600, n) * US, self.assigned_at)
        self.starred_at = np.where(starred, np.minimum(morning, self.until), 0)
        self.starred_by = np.where(
            starred, self.g.lead_managers[rng.integers(0, len(self.g.lead_managers), n)], 0
        )

    def owner_now(self) -> np.ndarray:
        return self.owner_at(np.arange(self.n), np.full(self.n, self.until))

    def _notes_and_reviews(self):
        g, rng = self.g, self.rng
        # Assignment history: first owner, follow-ups, failed-deposit reviews, upsale, retention.
        rows: list[dict] = []

        def add(lead, at, from_am, to_am, from_desk, to_desk, by, reason, note=None):
            rows.append(
                {
                    "lead": lead,
                    "at": at,
                    "from": from_am,
                    "to": to_am,
                    "from_desk": from_desk,
                    "to_desk": to_desk,
                    "by": by,
                    "reason": np.full(len(lead), reason, dtype=object),
                    "note": note if note is not None else np.full(len(lead), None, object),
                }
            )

        managers = g.lead_managers
        first = np.flatnonzero(self.is_assigned)
        add(
            first,
            self.assigned_at[first],
            np.zeros(len(first), np.int64),
            self.conv_am[first],
            np.full(len(first), None, object),
            np.full(len(first), "conversion", object),
            managers[rng.integers(0, len(managers), len(first))],
            "new_lead",
        )

        follow = np.flatnonzero(self.follow)
        am = self.conv_am[follow]
        add(
            follow,
            self.last_call_at[follow] + MINUTE,
            am,
            am,
            np.full(len(follow), "conversion", object),
            np.full(len(follow), "conversion", object),
            am,
            "follow_up",
        )

        ups = np.flatnonzero(self.upsale)
        add(
            ups,
            self.upsale_at[ups],
            self.upsale_from_am[ups],
            self.conv_am[ups],
            np.where(self.upsale_from_am[ups] != 0, "conversion", None).astype(object),
            np.full(len(ups), "conversion", object),
            managers[rng.integers(0, len(managers), len(ups))],
            "upsale",
        )

        ret = np.flatnonzero(self.to_retention)
        before = self.owner_at(ret, self.retention_at[ret] - 1)
        add(
            ret,
            self.retention_at[ret],
            before,
            self.ret_am[ret],
            np.where(before != 0, "conversion", None).astype(object),
            np.full(len(ret), "retention", object),
            managers[rng.integers(0, len(managers), len(ret))],
            "retention",
        )

        # F3: failed deposits a manager reviewed: assigned back to the AM with the reason.
        d = self.deposit
        reviewed = (
            d["declined"]
            & (d["am"] != 0)
            & (d["at"] < self.until - DAY)
            & (rng.random(len(d["lead"])) < 0.5)
        )
        r_lead, r_am = d["lead"][reviewed], d["am"][reviewed]
        r_at = d["at"][reviewed] + rng.integers(HOUR, 12 * HOUR, int(reviewed.sum()))
        currencies = np.array(g.currencies, dtype=object)[d["currency"][reviewed]]
        providers = np.array([p[1] for p in ref.PROVIDERS], dtype=object)[d["provider"][reviewed]]
        texts = np.array(
            [
                f"Declined deposit of {cents / 100:.2f} {cur} via {prov}: {reason}. "
                "Help the client retry or choose another method."
                for cents, cur, prov, reason in zip(
                    d["cents"][reviewed], currencies, providers, d["reason"][reviewed], strict=True
                )
            ],
            dtype=object,
        )
        desk = np.where(
            self.to_retention[r_lead] & (r_at >= self.retention_at[r_lead]),
            "retention",
            "conversion",
        ).astype(object)
        review_by = managers[rng.integers(0, len(managers), len(r_lead))]
        add(r_lead, r_at, r_am, r_am, desk, desk, review_by, "failed_deposit", texts)

        merged = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
        order = np.lexsort((merged["at"], merged["lead"]))
        merged = {k: v[order] for k, v in merged.items()}
        self.last_assignment_at = np.zeros(self.n, np.int64)
        np.maximum.at(self.last_assignment_at, merged["lead"], merged["at"])
        self.out["assignments"] = {
            "id": g.counters.take("assignments", len(merged["lead"])),
            "lead_id": self.ids[merged["lead"]],
            "from_am_id": pa_nullable(merged["from"]),
            "to_am_id": merged["to"],
            "from_desk": merged["from_desk"],
            "to_desk": merged["to_desk"],
            "by_id": merged["by"],
            "reason": merged["reason"],
            "note": merged["note"],
            "assigned_at": merged["at"],
            "created_at": merged["at"],
            "updated_at": merged["at"],
        }

        # Notes: what AMs wrote after some calls, and the managers' failed-deposit notes.
        chosen = rng.random(len(self.call_lead)) < 0.06
        n_lead = self.call_lead[chosen]
        n_at = self.call_at[chosen] + self.call_duration[chosen] * US + 30 * US
        n_author = self.owner_at(n_lead, n_at)
        own = n_author != 0
        n_lead, n_at, n_author = n_lead[own], n_at[own], n_author[own]
        bodies = np.array(ref.NOTE_TEXTS, dtype=object)[
            rng.integers(0, len(ref.NOTE_TEXTS), len(n_lead))
        ]
        lead = np.concatenate([n_lead, r_lead])
        at = np.concatenate([n_at, r_at])
        order = np.lexsort((at, lead))
        self.out["notes"] = {
            "id": g.counters.take("notes", len(lead)),
            "lead_id": self.ids[lead[order]],
            "author_id": np.concatenate([n_author, review_by])[order],
            "body": np.concatenate([bodies, texts])[order],
            "created_at": at[order],
            "updated_at": at[order],
        }

        # Calls go out under the AM who owned the lead at the time.
        self.out["calls"] = {
            "id": g.counters.take("calls", len(self.call_lead)),
            "lead_id": self.ids[self.call_lead],
            "am_id": self.call_am,
            "started_at": self.call_at,
            "duration_s": self.call_duration,
            "outcome": self.call_outcome,
            "created_at": self.call_at + self.call_duration * US,
            "updated_at": self.call_at + self.call_duration * US,
        }

    def _tickets(self):
        g, rng, n = self.g, self.rng, self.n
        has = rng.random(n) < 0.04
        lead = np.flatnonzero(has)
        m = len(lead)
        opened = self.registered[lead] + (rng.exponential(10, m) * DAY).astype(np.int64)
        keep = opened < self.until - MINUTE
        lead, opened = lead[keep], opened[keep]
        m = len(lead)
        state = pick(rng, [0.75, 0.15, 0.10], m)
        status = np.array(["closed", "open", "pending"], dtype=object)[state]
        closed = opened + rng.integers(HOUR, 4 * DAY, m)
        closed_ok = (status == "closed") & (closed < self.until)
        status[(status == "closed") & ~closed_ok] = "open"
        owner = self.owner_at(lead, opened)
        self.out["support_tickets"] = {
            "id": g.counters.take("support_tickets", m),
            "lead_id": self.ids[lead],
            "owner_id": pa_nullable(owner),
            "subject": np.array(ref.SUPPORT_SUBJECTS, dtype=object)[
                rng.integers(0, len(ref.SUPPORT_SUBJECTS), m)
            ],
            "priority": np.array(["low", "normal", "high", "urgent"], dtype=object)[
                pick(rng, [0.2, 0.5, 0.22, 0.08], m)
            ],
            "status": status,
            "opened_at": opened,
            "closed_at": Masked(closed, closed_ok),
            "created_at": opened,
            "updated_at": np.where(closed_ok, closed, opened),
        }

    def _emails(self):
        g, rng = self.g, self.rng
        # Welcome mail for every registration; "reach you" after a wrong number.
        wrong = self.call_outcome == "wrong_number"
        w_lead = self.call_lead[wrong]
        first_wrong = np.r_[True, w_lead[1:] != w_lead[:-1]] if len(w_lead) else np.zeros(0, bool)
        r_lead = w_lead[first_wrong]
        r_at = self.call_at[wrong][first_wrong] + 2 * MINUTE
        lead = np.concatenate([np.arange(self.n), r_lead])
        template = np.concatenate(
            [np.full(self.n, "welcome", object), np.full(len(r_lead), "reach_you", object)]
        )
        queued_at = np.concatenate([self.registered + 30 * US, r_at])
        m = len(lead)
        status = np.full(m, "sent", dtype=object)
        status[queued_at > self.until - 5 * MINUTE] = "queued"
        failed = (status == "sent") & (rng.random(m) < 0.003)
        status[failed] = "failed"
        sent = status == "sent"
        sent_at = queued_at + rng.integers(2, 90, m) * US
        rendered = [
            rendered_email(t, self.first_names[i], self.phones[i][-3:] if t == "reach_you" else "")
            for t, i in zip(template, lead, strict=True)
        ]
        self.out["email_outbox"] = {
            "id": g.counters.take("email_outbox", m),
            "lead_id": self.ids[lead],
            "template": template,
            "to_address": self.emails[lead],
            "subject": np.array([r.subject for r in rendered], dtype=object),
            "body": np.array([r.body for r in rendered], dtype=object),
            "status": status,
            "attempts": np.where(status == "queued", 0, np.where(failed, 3, 1)),
            "last_error": np.where(failed, "550 5.1.1 mailbox unavailable", None),
            "next_attempt_at": Masked(queued_at, status == "queued"),
            "sent_at": Masked(sent_at, sent),
            "created_at": queued_at,
            "updated_at": np.where(
                sent, sent_at, np.where(failed, queued_at + 2 * HOUR, queued_at)
            ),
        }

    def _names(self):
        rng, n = self.rng, self.n
        first = np.empty(n, dtype=object)
        last = np.empty(n, dtype=object)
        for m_index, market in enumerate(ref.MARKETS):
            members = np.flatnonzero(self.market == m_index)
            firsts, lasts = ref.NAMES[market.names]
            first[members] = np.array(firsts, dtype=object)[
                rng.integers(0, len(firsts), len(members))
            ]
            last[members] = np.array(lasts, dtype=object)[rng.integers(0, len(lasts), len(members))]
        domains = np.array(EMAIL_DOMAINS, dtype=object)[rng.integers(0, len(EMAIL_DOMAINS), n)]
        self.first_names, self.last_names = first, last
        self.emails = np.array(
            [
                f"{ascii_slug(f)}.{ascii_slug(s)}{i}@{d}"
                for f, s, i, d in zip(first, last, self.ids, domains, strict=True)
            ],
            dtype=object,
        )
        # Valid mobile numbers of the lead's country, in E.164.
        parts = [ref.mobile_number_parts(m) for m in ref.MARKETS]
        digits = rng.integers(0, 10_000_000, n)
        self.phones = np.array(
            [
                f"{parts[m][0]}{d % 10 ** parts[m][1]:0{parts[m][1]}d}"
                for m, d in zip(self.market, digits, strict=True)
            ],
            dtype=object,
        )

    def _lead_rows(self):
        g, rng, n = self.g, self.rng, self.n
        source = pick(rng, [s[2] for s in ref.SOURCES], n)
        campaign = np.empty(n, dtype=object)
        for s_index, (_name, campaigns, _w) in enumerate(ref.SOURCES):
            members = np.flatnonzero(source == s_index)
            choices = np.array([c or None for c in campaigns], dtype=object)
            campaign[members] = choices[rng.integers(0, len(choices), len(members))]
        owner = self.owner_now()
        desk = np.where(self.to_retention, "retention", "conversion").astype(object)
        high = self.upsale & ~self.to_retention
        high |= self.is_assigned & ~self.converted & (self.balance == 0) & (rng.random(n) < 0.02)
        touched = np.maximum.reduce(
            [
                self.registered,
                self.last_assignment_at,
                self.ftd_at,
                self.retention_at,
                self.starred_at,
                self.last_login,
            ]
        )
        self.out["leads"] = {
            "id": self.ids,
            "first_name": self.first_names,
            "last_name": self.last_names,
            "email": self.emails,
            "phone": self.phones,
            "country": np.array([ref.MARKETS[m].country for m in self.market], dtype=object),
            "time_zone": self.zone_names,
            "language": np.array([ref.MARKETS[m].language for m in self.market], dtype=object),
            "source": np.array([s[0] for s in ref.SOURCES], dtype=object)[source],
            "campaign": campaign,
            "registered_at": self.registered,
            "status": self.status,
            "desk": desk,
            "am_id": pa_nullable(owner),
            "is_starred": self.starred,
            "starred_by_id": pa_nullable(self.starred_by),
            "starred_at": Masked(self.starred_at, self.starred),
            "priority": np.where(high, "high", "normal").astype(object),
            "callback_at": Masked(self.callback, self.follow),
            "compliance_status": self.compliance,
            "balance": self.balance,
            "currency": np.array(g.currencies, dtype=object)[self.currency],
            "ftd_at": Masked(self.ftd_at, self.converted),
            "last_login_at": Masked(self.last_login, self.last_login > 0),
            "version": 1 + (self.last_assignment_at > 0).astype(np.int64),
            "created_at": self.registered,
            "updated_at": np.minimum(touched, self.until),
        }


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
