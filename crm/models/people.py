"""The people who sign in to Starboard: teams, staff and their history, sign-ins."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, BigId, Timestamped, choice, utcnow
from crm.types import UTCDateTime

ROLES = ("admin", "sales_manager", "lead_manager", "account_manager", "executive")
DESKS = ("conversion", "retention")


class Team(Timestamped, Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    desk: Mapped[str] = mapped_column(choice(DESKS))


class Staff(Timestamped, Base):
    """A person who signs in to Starboard: managers, account managers (AMs), executives."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    role: Mapped[str] = mapped_column(choice(ROLES))
    desk: Mapped[str | None] = mapped_column(choice(DESKS))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    # None: the person sees times in their browser's zone (AM shifts: the floor's zone).
    time_zone: Mapped[str | None] = mapped_column(sa.String(64))
    is_active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    # The AM's extension on the dialer, which names the agent in the dialer's call records.
    extension: Mapped[str | None] = mapped_column(sa.String(20), unique=True, index=True)

    team: Mapped[Team | None] = relationship()


class StaffHistory(Base):
    """What a person was from ``valid_from`` until ``valid_to`` (open: still is): their role,
    desk, team and whether active. The staff actions write a row at every change of these, so
    the warehouse credits each day's figures to the team an AM was in that day."""

    __tablename__ = "staff_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    role: Mapped[str] = mapped_column(choice(ROLES))
    desk: Mapped[str | None] = mapped_column(choice(DESKS))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id"))
    is_active: Mapped[bool] = mapped_column()
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )


SIGN_IN_OUTCOMES = ("signed_in", "wrong_password", "inactive", "locked")


class SignInAttempt(Base):
    """Every sign-in attempt to the dashboard, right or wrong: the rate limit counts the wrong
    ones per account (``email`` as typed) and per address, and the log says who tried when.

    Not copied to the warehouse: it holds addresses and the emails people typed.
    """

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        sa.Index("ix_sign_in_attempts_email_at", "email", "at"),
        sa.Index("ix_sign_in_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    email: Mapped[str] = mapped_column(sa.String(254))
    address: Mapped[str] = mapped_column(sa.String(100))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    outcome: Mapped[str] = mapped_column(choice(SIGN_IN_OUTCOMES))


SIGN_IN_METHODS = ("password", "sso")
SESSION_END_REASONS = ("signed_out", "idle", "expired", "deactivated", "password_changed")


class SignInSession(Base):
    """A signed-in browser (issue 26, items 7 and 13; issue 22, item 9): its cookie carries a
    random token, of which only the SHA-256 is kept here, so a reload or a new tab stays signed
    in until the idle time or the absolute lifetime ends it, and sign-out, deactivation or a new
    password ends it on the server. ``handoff_hash``: the one-time code the browser trades for
    the token right after the password or the identity provider answered.

    Not copied to the warehouse.
    """

    __tablename__ = "sign_in_sessions"
    __table_args__ = (sa.Index("ix_sign_in_sessions_staff_id", "staff_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"))
    method: Mapped[str] = mapped_column(choice(SIGN_IN_METHODS))
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    handoff_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(choice(SESSION_END_REASONS))
