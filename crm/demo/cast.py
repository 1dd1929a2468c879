"""The demo brokerage's people: its teams, managers and account managers, sized to the floor.

Who among the AMs works from when is the floor's staffing (``crm.demo.staffing``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from crm.demo import reference as ref
from crm.demo.reference import ascii_slug

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
