"""One chunk of the demo's leads, lived whole: who they are, when they register, which team
and AM they reach (``crm.demo.staffing``), the calls they get (``crm.demo.calls``), whether and
when they convert, and their statuses at the end; the deposits, sessions, notes, tickets and
mails they leave are in ``crm.demo.deposits`` and ``crm.demo.activity``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crm.demo import reference as ref
from crm.demo.activity import assignment_and_note_rows, email_rows, session_rows, ticket_rows
from crm.demo.calls import OUTCOMES, floor_calls
from crm.demo.cast import CONVERSION_TEAM_OF_MARKET, RETENTION_TEAM_OF_MARKET
from crm.demo.columns import DAY, HOUR, MINUTE, US, Masked, last_before, pa_nullable, pick
from crm.demo.deposits import deposit_rows
from crm.demo.reference import EMAIL_DOMAINS, HOUR_WEIGHT, ascii_slug

if TYPE_CHECKING:
    from crm.demo.generator import Generator

# Of the leads an AM works, the share whose FTD comes within hours of a connected call: a talk
# is what makes a client deposit.
FTD_AFTER_CALL_SHARE = 0.85


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
        deposit_rows(self)
        session_rows(self)
        self._statuses()
        assignment_and_note_rows(self)
        ticket_rows(self)
        email_rows(self)
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
