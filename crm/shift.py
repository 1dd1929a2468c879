"""End of shift (F5), planned: which stars go, which leads are starred for tomorrow, and why not.

This module only reads. The page shows the plan as a preview; ``crm.actions.end_of_shift``
applies it (version-checked, in one transaction).

The rules, exactly:

- **Due tomorrow.** A lead's *tomorrow* is the floor's next working day (``crm_settings``'
  ``working_days``, Monday to Friday by default) after the lead's own date at ``now`` in the
  lead's time zone (``leads.time_zone``; an empty zone is UTC): on a Friday it is Monday. A lead
  is due tomorrow when its ``callback_at`` instant, seen on the lead's wall clock, falls after
  the lead's today and no later than that day (so a callback on the weekend between is starred
  for Monday rather than lost), and inside the calling hours (start included, end excluded).
  A day is the zone's, however long (23 or 25 hours across a daylight-saving change).
  So the lead's tomorrow need not be the manager's: at 18:00 in London a lead in Tokyo is already
  past midnight, and its tomorrow is the manager's day after tomorrow; a callback later on the
  Tokyo lead's current day was due at the previous end of shift, which ran on the day before it.
  Callbacks are stored as instants (UTC), so a wall-clock time that a daylight-saving change
  skips or repeats was resolved when the callback was set (a skipped 02:30 becomes 03:30 summer
  time); here every callback has exactly one local time.
- **Star** (tomorrow's board): every lead due tomorrow whose owning AM is active, whether or not
  it is starred already (applying restamps it).
- **Unstar** (the day's leads): every starred lead that is not on tomorrow's board. That is the
  stars set during the manager's day and any left from before it: the previous end of shift
  stars its leads the evening before their day, so a window on the manager's calendar day alone
  would leave those stars on for good.
- **Skipped, with the reason**: a lead with a callback on its tomorrow that is not starred: outside
  the calling hours, no owning AM, an inactive AM, or a time zone that is not an IANA zone.
- **Carried over** (missed callbacks): a lead whose callback fell due before ``now`` and that
  nobody has called since (no call at or after the callback), when the callback fell due in the
  last day (``MISSED_WINDOW``) or the lead is starred still (carried before, so it stays until
  someone calls). It is starred again, like tomorrow's board, so the work is not lost; with no
  active AM it is skipped instead, with the reason.
- **Scope**: the whole floor, one team (the leads its AMs own) or one AM; the leads nobody owns
  belong to the floor's run only.

Cost: one SELECT over the leads that are starred or have a callback in the next 50 hours. A
lead's tomorrow starts after ``now`` (at its next local midnight) and ends within 24 + 25 hours
of it whatever the zone, plus a day per day off between (``_horizon``), so that UTC window holds
every zone's tomorrow and the exact per-zone
decision is made in Python on that small set. On 1 M leads on PostgreSQL the query scans the
table (about 0.5 s on the shared test machine) because ``leads`` has no index on ``callback_at``
or ``is_starred``; with ``(callback_at)`` and ``(id) WHERE is_starred`` it is a bitmap OR of the
two (under 40 ms). The window reaches one day back too, for the missed callbacks, and their
latest calls are read by ``calls.lead_id`` (indexed) in chunks of 500: not measured at 1 M leads
yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm.models import Base
from crm.settings import CallingHours, WorkingDays, working_days
from crm.time_zones import find_zone

LEADS = Base.metadata.tables["leads"]
STAFF = Base.metadata.tables["staff"]

CALLS = Base.metadata.tables["calls"]

# Every zone's tomorrow ends at most one day plus one long (25 h) day after now, when tomorrow
# is the next calendar day; each day off in between adds a (long) day (``_horizon``).
TOMORROW_HORIZON = timedelta(hours=50)
# A callback that fell due this long before the end of shift, not called since, is carried over.
MISSED_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class LeadRef:
    """A lead in the plan, as the preview shows it; ``version`` is what applying checks."""

    lead_id: int
    version: int
    name: str
    time_zone: str
    local_callback: datetime | None
    am_id: int | None = None
    am_name: str | None = None


@dataclass(frozen=True)
class ShiftPlan:
    """What end of shift would change, for the shift of ``day`` (the manager's date)."""

    unstar: list[LeadRef]
    star: list[LeadRef]
    skipped: list[tuple[LeadRef, str]]
    day: date | None = None
    carried: list[LeadRef] = field(default_factory=list)
    scope: str = "the whole floor"

    def per_am(self) -> list[tuple[str, int, int, int]]:
        """``(AM, to unstar, to star, carried over)`` per AM, by name; "no AM" last."""
        counts: dict[str, list[int]] = {}
        for column, leads in enumerate((self.unstar, self.star, self.carried)):
            for lead in leads:
                counts.setdefault(lead.am_name or "", [0, 0, 0])[column] += 1
        ordered = sorted(counts, key=lambda name: (name == "", name))
        return [(name or "no AM", *counts[name]) for name in ordered]


def plan_end_of_shift(
    connection: sa.Connection,
    manager_zone: ZoneInfo,
    now: datetime,
    hours: CallingHours,
    *,
    team_id: int | None = None,
    am_id: int | None = None,
    scope: str = "the whole floor",
    days: WorkingDays | None = None,
) -> ShiftPlan:
    """The end-of-shift plan at ``now`` for calling ``hours`` and working ``days`` (the CRM's
    when None): only reads the CRM.

    ``manager_zone`` names the day being closed (``ShiftPlan.day``); who is due tomorrow depends
    on each lead's own zone, never on the manager's. ``team_id`` or ``am_id`` narrow it to the
    leads of one team's AMs or of one AM (``scope`` names it for the preview).
    """
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}: pass a timezone-aware time")
    now = now.astimezone(timezone.utc)
    if days is None:
        days = working_days(connection)
    horizon = _horizon(days)
    window = LEADS.c.callback_at.between(now - MISSED_WINDOW, now + horizon)
    statement = (
        sa.select(
            LEADS.c.id,
            LEADS.c.version,
            LEADS.c.first_name,
            LEADS.c.last_name,
            LEADS.c.time_zone,
            LEADS.c.callback_at,
            LEADS.c.is_starred,
            LEADS.c.am_id,
            STAFF.c.name.label("am_name"),
            STAFF.c.is_active.label("am_active"),
        )
        .select_from(LEADS.outerjoin(STAFF, STAFF.c.id == LEADS.c.am_id))
        # "= true" rather than "IS TRUE", which a partial index on starred leads cannot serve.
        .where(sa.or_(LEADS.c.is_starred == sa.true(), window))
        .order_by(LEADS.c.id)
    )
    if am_id is not None:
        statement = statement.where(LEADS.c.am_id == am_id)
    if team_id is not None:
        statement = statement.where(STAFF.c.team_id == team_id)
    rows = connection.execute(statement).all()
    called = _last_calls(
        connection,
        [row.id for row in rows if row.callback_at is not None and row.callback_at <= now],
    )

    star: list[LeadRef] = []
    unstar: list[LeadRef] = []
    carried: list[LeadRef] = []
    skipped: list[tuple[LeadRef, str]] = []
    for row in rows:
        zone_name = (row.time_zone or "").strip() or "UTC"
        zone = find_zone(zone_name)
        local_callback = None
        if row.callback_at is not None:
            local_callback = row.callback_at.astimezone(zone or timezone.utc)
        lead = LeadRef(
            row.id,
            row.version,
            f"{row.first_name} {row.last_name}",
            zone_name,
            local_callback,
            row.am_id,
            row.am_name,
        )
        if _missed(row, now, called.get(row.id)):
            reason = _no_owner(row)
            if reason is None:
                carried.append(lead)
                continue
            skipped.append((lead, f"its callback was missed, but {reason}"))
        elif zone is None:
            if local_callback is not None and now <= local_callback <= now + horizon:
                skipped.append((lead, f"its time zone {zone_name!r} is not an IANA zone: fix it"))
        elif local_callback is not None and _due_tomorrow(local_callback, now, zone, days):
            reason = _left_off(row, local_callback, hours)
            if reason is None:
                star.append(lead)
                continue
            skipped.append((lead, reason))
        if row.is_starred:
            unstar.append(lead)

    star.sort(key=lambda lead: (lead.local_callback, lead.lead_id))
    carried.sort(key=lambda lead: (lead.local_callback, lead.lead_id))
    day = now.astimezone(manager_zone).date()
    return ShiftPlan(
        unstar=unstar, star=star, skipped=skipped, day=day, carried=carried, scope=scope
    )


def _missed(row: sa.Row, now: datetime, last_call: datetime | None) -> bool:
    """Whether the lead's callback fell due and nobody called it since (see the rules)."""
    if row.callback_at is None or row.callback_at > now:
        return False
    if not row.is_starred and row.callback_at < now - MISSED_WINDOW:
        return False
    return last_call is None or last_call < row.callback_at


def _last_calls(connection: sa.Connection, lead_ids: list[int]) -> dict[int, datetime]:
    """The latest call on each of ``lead_ids`` (by anyone), up to now."""
    latest: dict[int, datetime] = {}
    for start in range(0, len(lead_ids), 500):
        chunk = lead_ids[start : start + 500]
        latest.update(
            connection.execute(
                sa.select(CALLS.c.lead_id, sa.func.max(CALLS.c.started_at))
                .where(CALLS.c.lead_id.in_(chunk))
                .group_by(CALLS.c.lead_id)
            ).all()
        )
    return latest


def _no_owner(row: sa.Row) -> str | None:
    if row.am_id is None:
        return "no AM owns it, so a star would show it to nobody: assign it first"
    if not row.am_active:
        return f"its AM {row.am_name} is inactive: assign it to an active AM"
    return None


def _due_tomorrow(
    local_callback: datetime, now: datetime, zone: ZoneInfo, days: WorkingDays
) -> bool:
    """Whether the callback falls after the lead's today and by its next working day."""
    today = now.astimezone(zone).date()
    return today < local_callback.date() <= _tomorrow(now, zone, days)


def _tomorrow(now: datetime, zone: ZoneInfo, days: WorkingDays) -> date:
    """The lead's next working day after its own date at ``now``."""
    return days.next_after(now.astimezone(zone).date())


def _horizon(days: WorkingDays) -> timedelta:
    """How far after now the latest zone's tomorrow may end: ``TOMORROW_HORIZON`` plus a long
    day per day off before the next working day, at the longest gap of the week."""
    monday = date(2024, 1, 1)  # any Monday: the gaps depend on the weekday only
    gap = max((days.next_after(monday + timedelta(d)) - monday).days - d for d in range(7))
    return TOMORROW_HORIZON + timedelta(hours=25) * (gap - 1)


def _left_off(row: sa.Row, local_callback: datetime, hours: CallingHours) -> str | None:
    """Why a lead with a callback tomorrow does not go on the board; None when it does."""
    if not hours.contains(local_callback.time()):
        return (
            f"its callback at {local_callback:%H:%M} (its local time) is outside the calling "
            f"hours {hours}"
        )
    return _no_owner(row)
