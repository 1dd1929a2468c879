"""Lead distribution (issue 25): rules, pools, the AMs' shifts and leave, waiting leads."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.models.base import Base, Timestamped, choice, utcnow
from crm.types import UTCDateTime

# Lead distribution (issue 25): rules that assign new leads, the AMs' shifts, the rotation state.
WAITING_REASONS = ("no_rule", "nobody_on_shift", "all_at_cap")
DEPOSIT_SEGMENTS = ("deposited", "not_deposited")


class DistributionRule(Timestamped, Base):
    """One rule: leads matching its segment go to its pool of AMs, by weighted round robin.

    Rules are tried by ``position``, the first matching active rule wins. A segment list that
    is NULL matches anything (a rule with no segment at all is the fallback pool). Registration
    hours are the lead's UTC hour, ``hour_from`` included, ``hour_until`` excluded (wrapping
    past midnight when ``hour_until`` <= ``hour_from``). Not copied to the warehouse.
    """

    __tablename__ = "distribution_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    position: Mapped[int] = mapped_column()
    is_active: Mapped[bool] = mapped_column(default=False)
    desks: Mapped[list | None] = mapped_column(sa.JSON)
    countries: Mapped[list | None] = mapped_column(sa.JSON)
    languages: Mapped[list | None] = mapped_column(sa.JSON)
    sources: Mapped[list | None] = mapped_column(sa.JSON)
    affiliates: Mapped[list | None] = mapped_column(sa.JSON)
    campaigns: Mapped[list | None] = mapped_column(sa.JSON)
    hour_from: Mapped[int | None] = mapped_column()
    hour_until: Mapped[int | None] = mapped_column()
    deposit_status: Mapped[str | None] = mapped_column(choice(DEPOSIT_SEGMENTS))
    # New leads per AM per day (the AM's day, in their zone); open unconverted leads per AM.
    daily_cap: Mapped[int | None] = mapped_column()
    open_cap: Mapped[int | None] = mapped_column()
    # Star the lead as it is assigned, so it is the AM's work now.
    star: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))


class DistributionPoolMember(Base):
    """An AM in a rule's pool with their weight, and the rotation state (crm.distribution.
    rotation): ``credit`` (what the AM is owed over the long run) and ``epoch_received`` (leads
    received since the pool's available AMs last changed; NULL when not available then), kept
    here so the rotation survives restarts and is updated in the assigning transaction (which
    locks these rows)."""

    __tablename__ = "distribution_pool"

    rule_id: Mapped[int] = mapped_column(
        sa.ForeignKey("distribution_rules.id", ondelete="CASCADE"), primary_key=True
    )
    am_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"), primary_key=True, index=True)
    weight: Mapped[int] = mapped_column(default=1)
    credit: Mapped[int] = mapped_column(default=0)
    epoch_received: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )


class AmShift(Timestamped, Base):
    """A weekly shift of an AM, in the AM's time zone (``staff.time_zone``): ``weekday`` 0 is
    Monday; minutes from midnight, the end excluded; an end at or before the start runs past
    midnight into the next day. A weekday without a shift is a day off."""

    __tablename__ = "am_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    am_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    weekday: Mapped[int] = mapped_column()
    start_minute: Mapped[int] = mapped_column()
    end_minute: Mapped[int] = mapped_column()


class AmLeave(Timestamped, Base):
    """Days an AM is away (both dates included, the AM's own calendar days)."""

    __tablename__ = "am_leave"

    id: Mapped[int] = mapped_column(primary_key=True)
    am_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    first_day: Mapped[date] = mapped_column(sa.Date)
    last_day: Mapped[date] = mapped_column(sa.Date)


class AmOpenLeads(Base):
    """Each AM's open unconverted leads (``OPEN_LEADS_SQL``), which a distribution rule's open
    cap reads at every registration: counted by the database's triggers on ``leads`` in the
    writing transaction (migration 0011), whoever writes. No row: none. Not copied to the
    warehouse."""

    __tablename__ = "am_open_leads"

    am_id: Mapped[int] = mapped_column(
        sa.ForeignKey("staff.id"), primary_key=True, autoincrement=False
    )
    open_leads: Mapped[int] = mapped_column()


class DistributionWaiting(Base):
    """A lead no one could take yet, and why: assigned, in registration order, as soon as
    someone in its pool is available (the next registration or backlog run)."""

    __tablename__ = "distribution_waiting"

    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id"), primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("distribution_rules.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(choice(WAITING_REASONS))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    # Why the rules ran for it, when not at its registration ("returned after 12 days away").
    occasion: Mapped[str | None] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )
