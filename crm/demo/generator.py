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

Here: the brokerage as a whole (its people, ``crm.demo.cast``; who works from when,
``crm.demo.staffing``; the reference rows) and its leads chunk by chunk (``crm.demo.leads``).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import numpy as np

from crm.demo import reference as ref
from crm.demo.calls import ShiftTable
from crm.demo.cast import Cast, StaffMember, build_cast
from crm.demo.columns import DAY, HOUR, US, Clock, Counters, Masked, pa_nullable
from crm.demo.leads import LeadChunk
from crm.demo.leave import draw_leave, without_leave
from crm.demo.reference import HOUR_WEIGHT, WEEKDAY_WEIGHT
from crm.demo.shifts import weekly_schedule
from crm.demo.staffing import Staffing, staff_team
from crm.settings import DEFAULT_WORKING_DAYS, WorkingDays

# What other modules import from here.
__all__ = [
    "HOUR_WEIGHT",
    "WEEKDAY_WEIGHT",
    "Cast",
    "Generator",
    "LeadChunk",
    "Masked",
    "StaffMember",
    "pa_nullable",
]

CHUNK_LEADS = 25_000


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
        self.leave = self._send_on_leave()

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
        # An AM the book never needed is left out; the others work from their first shift. A
        # demo too small to start anyone (a few dozen leads) keeps its first AM, with an empty
        # list, so the floor still has an account manager to sign in as.
        ams = [s.id for s in self.cast.staff if s.role == "account_manager" and s.is_active]
        idle = set() if any(staffing.started(a) for a in ams) else set(ams[:1])
        self.cast.staff = [
            s
            for s in self.cast.staff
            if s.role != "account_manager"
            or not s.is_active
            or staffing.started(s.id)
            or s.id in idle
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

    def _send_on_leave(self) -> list:
        """A few AMs' leave around the last day (``crm.demo.leave``): no calls on it."""
        zones = {s.id: s.time_zone for s in self.cast.staff}
        spells = draw_leave(
            np.random.default_rng([self.seed, 3]),
            [(am_id, zones[am_id]) for am_id in self.shifts.blocks],
            self.staffing.first_shift_us,
            self.until_us,
        )
        for am_id, first, last in spells:
            blocks = self.shifts.blocks[am_id]
            self.shifts.blocks[am_id] = without_leave(blocks, zones[am_id], [(first, last)])
        return spells

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
            "am_shifts": self._schedules(joined),
            "am_leave": {
                "id": list(range(1, len(self.leave) + 1)),
                "am_id": [am_id for am_id, _first, _last in self.leave],
                "first_day": [first for _am, first, _last in self.leave],
                "last_day": [last for _am, _first, last in self.leave],
                # Booked three weeks before the last day: before any of it began.
                "created_at": np.full(len(self.leave), self.until_us - 21 * DAY),
                "updated_at": np.full(len(self.leave), self.until_us - 21 * DAY),
            },
            "am_targets": self._targets(),
        }

    def _schedules(self, joined: np.ndarray) -> dict:
        """Each active AM's weekly schedule (``crm.demo.shifts``): the hours their calls
        are laid in, so lead distribution and the "who is behind" view see them on shift then.
        Written when the AM joined; an AM who left has none (they make no calls)."""
        rows = {k: [] for k in ("am_id", "weekday", "start_minute", "end_minute", "created_at")}
        for member, at in zip(self.cast.staff, joined, strict=True):
            if member.id not in self.shifts.blocks:
                continue
            for weekday, start, end in weekly_schedule(member.id, self.working_days):
                for key, value in zip(rows, (member.id, weekday, start, end, at), strict=True):
                    rows[key].append(value)
        rows["id"] = list(range(1, len(rows["am_id"]) + 1))
        rows["created_at"] = np.array(rows["created_at"], np.int64)
        rows["updated_at"] = rows["created_at"]
        return rows

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
