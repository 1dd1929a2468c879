"""A lead and what is kept beside it: sessions, notes, owners, tickets, mail."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, BigId, Timestamped, choice, utcnow
from crm.models.people import DESKS, Staff
from crm.types import Money, UTCDateTime

LEAD_STATUSES = ("new", "assigned", "contacted", "follow_up", "converted", "retention", "lost")
COMPLIANCE_STATUSES = ("not_started", "pending", "approved", "rejected")
ASSIGNMENT_REASONS = (
    "new_lead",
    "follow_up",
    "failed_deposit",
    "upsale",
    "retention",
    "reassignment",
    # Given by the distribution rules (crm/distribution), with the rule's explanation as note.
    "auto",
)
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_STATUSES = ("open", "pending", "closed")
EMAIL_TEMPLATES = ("welcome", "reach_you")
EMAIL_STATUSES = ("queued", "sent", "failed")
LEAD_PRIORITIES = ("normal", "high")


# A lead someone is working that has not deposited: what a distribution rule's open cap counts.
OPEN_LEADS_SQL = "ftd_at IS NULL AND status IN ('assigned', 'contacted', 'follow_up')"

# The assignments a distribution rule's daily cap counts: new leads, given by the rules or by a
# manager as new.
NEW_LEADS_SQL = "reason IN ('auto', 'new_lead')"


class Lead(Timestamped, Base):
    """A registered user of the trading platform, depositing or not.

    ``version`` counts the changes people make (owner, desk, star, priority, callback, status):
    an action writes only if the version is still the one its user saw. Platform activity
    (logins, balance) does not bump it, so a client logging in never conflicts with a manager.
    """

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    first_name: Mapped[str] = mapped_column(sa.String(80))
    last_name: Mapped[str] = mapped_column(sa.String(80))
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    phone: Mapped[str] = mapped_column(sa.String(32))
    country: Mapped[str] = mapped_column(sa.String(2))
    time_zone: Mapped[str] = mapped_column(sa.String(64))
    language: Mapped[str] = mapped_column(sa.String(8))
    source: Mapped[str] = mapped_column(sa.String(40))
    campaign: Mapped[str | None] = mapped_column(sa.String(80))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(choice(LEAD_STATUSES), default="new")
    desk: Mapped[str] = mapped_column(choice(DESKS), default="conversion")
    am_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    is_starred: Mapped[bool] = mapped_column(default=False)
    starred_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    starred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(choice(LEAD_PRIORITIES), default="normal")
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    compliance_status: Mapped[str] = mapped_column(
        choice(COMPLIANCE_STATUSES), default="not_started"
    )
    balance: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    ftd_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    version: Mapped[int] = mapped_column(default=1)
    # The id the lead's source gave it (the website's or affiliate's own id), once per source.
    external_id: Mapped[str | None] = mapped_column(sa.String(80))
    affiliate: Mapped[str | None] = mapped_column(sa.String(80))
    # When the platform last reported the balance: an older report arriving late is ignored.
    balance_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    am: Mapped[Staff | None] = relationship(foreign_keys=[am_id])

    __table_args__ = (
        sa.Index("ix_leads_external_id_source", "external_id", "source", unique=True),
        sa.Index("ix_leads_phone", "phone"),
    )


class PlatformSession(Base):
    """One login to the trading platform. Online now = not logged out and seen a moment ago."""

    __tablename__ = "platform_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id"), index=True)
    login_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    logout_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    device: Mapped[str] = mapped_column(sa.String(16))
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )
    # The platform's own session id, for sessions it reports through the ingest API.
    external_id: Mapped[str | None] = mapped_column(sa.String(80), unique=True, index=True)


class Note(Timestamped, Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"))
    body: Mapped[str] = mapped_column(sa.Text)


class Assignment(Timestamped, Base):
    """One change of a lead's owning AM or desk; the lead's whole ownership history."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id"), index=True)
    from_am_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    to_am_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    from_desk: Mapped[str | None] = mapped_column(choice(DESKS))
    to_desk: Mapped[str] = mapped_column(choice(DESKS))
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    reason: Mapped[str] = mapped_column(choice(ASSIGNMENT_REASONS))
    note: Mapped[str | None] = mapped_column(sa.Text)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # An AM's new leads of today, which a distribution rule's daily cap counts: the new-lead
    # reasons only, so the range read is at most the cap (crm.distribution.assign).
    __table_args__ = (
        sa.Index(
            "ix_assignments_new_leads",
            "to_am_id",
            "assigned_at",
            postgresql_where=sa.text(NEW_LEADS_SQL),
            sqlite_where=sa.text(NEW_LEADS_SQL),
        ),
    )


class SupportTicket(Timestamped, Base):
    __tablename__ = "support_tickets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    subject: Mapped[str] = mapped_column(sa.String(200))
    priority: Mapped[str] = mapped_column(choice(TICKET_PRIORITIES))
    status: Mapped[str] = mapped_column(choice(TICKET_STATUSES))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EmailOutbox(Timestamped, Base):
    """Mail waiting to go or gone: queued in the same transaction as the change that caused it."""

    __tablename__ = "email_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id"), index=True)
    template: Mapped[str] = mapped_column(choice(EMAIL_TEMPLATES))
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(choice(EMAIL_STATUSES), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.Index("ix_email_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )
