"""The operational CRM: every table the features F1-F13 read or write.

Conventions that the ETL and the action layer rely on:
- every mutable table has an indexed ``updated_at`` (UTC), the ETL's incremental watermark;
- money is exact (``Money``: NUMERIC(18, 2)) with its ISO currency beside it, and a USD amount
  where the warehouse needs to add amounts up;
- times are UTC (``UTCDateTime``); a lead's local time comes from its IANA ``time_zone``;
- the choice columns (role, desk, status, outcome, ...) are checked by the database itself.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from crm.types import Money, UTCDateTime

ROLES = ("admin", "sales_manager", "lead_manager", "account_manager", "executive")
DESKS = ("conversion", "retention")
LEAD_STATUSES = ("new", "assigned", "contacted", "follow_up", "converted", "retention", "lost")
COMPLIANCE_STATUSES = ("not_started", "pending", "approved", "rejected")
CALL_OUTCOMES = ("connected", "no_answer", "busy", "voicemail", "wrong_number")
DEPOSIT_METHODS = ("card", "wire", "e_wallet", "crypto")
# A deposit attempt's state as its payment service provider last reported it. Pending until the
# provider decides; an approved deposit can later be reversed (refunded or charged back).
DEPOSIT_STATUSES = ("approved", "declined", "pending", "refunded", "charged_back")
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
# The brokerage's own systems that send data in through the ingest API (issue 24).
INTEGRATION_KINDS = ("website", "affiliate", "platform", "psp", "dialer")
INBOX_KINDS = ("call", "deposit", "platform")
INBOX_STATUSES = ("waiting", "applied", "dismissed")


# A lead someone is working that has not deposited: what a distribution rule's open cap counts.
OPEN_LEADS_SQL = "ftd_at IS NULL AND status IN ('assigned', 'contacted', 'follow_up')"

# The assignments a distribution rule's daily cap counts: new leads, given by the rules or by a
# manager as new.
NEW_LEADS_SQL = "reason IN ('auto', 'new_lead')"

# SQLite only auto-numbers a column declared exactly INTEGER PRIMARY KEY.
BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def choice(values: tuple[str, ...]) -> sa.Enum:
    """A text column restricted to ``values`` by a CHECK constraint (portable, no native enum)."""
    return sa.Enum(
        *values, native_enum=False, create_constraint=True, length=20, validate_strings=True
    )


class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Timestamped:
    """``created_at`` once, ``updated_at`` on every change: the ETL reads by ``updated_at``."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )


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


class Call(Timestamped, Base):
    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id"), index=True)
    am_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_s: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str] = mapped_column(choice(CALL_OUTCOMES))
    # The dialer's call id, for calls it reports: each is recorded once.
    external_id: Mapped[str | None] = mapped_column(sa.String(80), unique=True, index=True)

    __table_args__ = (sa.Index("ix_calls_am_id_started_at", "am_id", "started_at"),)


class Currency(Base):
    """The currencies the brokerage takes, with the USD rate amounts are converted at."""

    __tablename__ = "currencies"

    code: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    usd_rate: Mapped[Decimal] = mapped_column(sa.Numeric(18, 8))
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )


class DepositAttempt(Timestamped, Base):
    """Every attempt to deposit, approved or not, as the payment service provider answered it.

    ``created_at`` is when the client attempted it; ``decided_at`` when the provider gave its
    latest decision (approved, declined, refunded, charged back; NULL while pending): a deposit
    counts on the day it was approved, which may be days after the attempt (a wire).
    """

    __tablename__ = "deposit_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id"), index=True)
    am_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(sa.String(3))
    amount_usd: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(choice(DEPOSIT_METHODS))
    provider: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(choice(DEPOSIT_STATUSES))
    decline_reason: Mapped[str | None] = mapped_column(sa.String(80))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_self_deposit: Mapped[bool] = mapped_column(default=False)
    is_ftd: Mapped[bool] = mapped_column(default=False)
    # The provider's transaction id (once per provider) and its raw decline code, which
    # crm.ingest.mappings turns into ``decline_reason``.
    provider_transaction_id: Mapped[str | None] = mapped_column(sa.String(80))
    raw_decline_code: Mapped[str | None] = mapped_column(sa.String(40))

    __table_args__ = (
        sa.Index(
            "ix_deposit_attempts_provider_provider_transaction_id",
            "provider",
            "provider_transaction_id",
            unique=True,
        ),
    )


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


class AmTarget(Timestamped, Base):
    """An AM's target for a period (both dates inclusive), in USD and in FTDs."""

    __tablename__ = "am_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    am_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"))
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    target_usd: Mapped[Decimal] = mapped_column(Money)
    target_ftds: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.UniqueConstraint("am_id", "period_start"),)


class TargetBoardEntry(Timestamped, Base):
    """A deposit recorded on an AM's target tracking board (at most once per deposit)."""

    __tablename__ = "target_board_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    am_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    deposit_id: Mapped[int] = mapped_column(sa.ForeignKey("deposit_attempts.id"), unique=True)
    amount_usd: Mapped[Decimal] = mapped_column(Money)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditLog(Base):
    """Every change made through Starboard: who, what, to which lead, before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    action_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    # The system that acted (an integration of the ingest API) when no person did.
    integration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("integrations.id"))
    action: Mapped[str] = mapped_column(sa.String(40))
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id"), index=True)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class AppliedAction(Base):
    """An action applied through Starboard, once per action id: a rerun or double click that
    sends the same id again gets this first result back and writes nothing.

    The primary key is the uniqueness that makes it so, even when two transactions carrying the
    same id race each other; one bulk action writes many ``audit_log`` rows but one row here.
    """

    __tablename__ = "applied_actions"

    action_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    integration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("integrations.id"))
    action: Mapped[str] = mapped_column(sa.String(40))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    lead_count: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict | None] = mapped_column(sa.JSON)


class CrmSetting(Base):
    """Facts about this CRM itself, e.g. ``demo`` when the demo command created it."""

    __tablename__ = "crm_settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )


class DeletedRow(Base):
    """A tombstone per deleted row, written by database triggers (migration 0002).

    An ``updated_at`` watermark cannot see a row that is gone; this table lets the ETL remove
    it from the warehouse incrementally, whoever deleted it (Starboard, an admin, a script).
    """

    __tablename__ = "deleted_rows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    table_name: Mapped[str] = mapped_column(sa.String(64))
    row_key: Mapped[str] = mapped_column(sa.String(64))
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


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


class Integration(Timestamped, Base):
    """One of the brokerage's systems allowed to send data in (issue 24): its API key is shown
    once and kept only as a SHA-256 hash (a random 256-bit key needs no slow hash); a PSP's or
    dialer's webhook signing secret is kept as it is, since checking a signature needs it.

    Not copied to the warehouse.
    """

    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    kind: Mapped[str] = mapped_column(choice(INTEGRATION_KINDS))
    key_id: Mapped[str] = mapped_column(sa.String(24), unique=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64))
    webhook_secret: Mapped[str | None] = mapped_column(sa.String(80))
    rate_per_second: Mapped[int] = mapped_column(default=50)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IngestRequest(Base):
    """Every request to the ingest API: who, where, the answer and how long it took. Never the
    payload: no names, emails, phones or amounts.

    Not copied to the warehouse.
    """

    __tablename__ = "ingest_requests"
    __table_args__ = (sa.Index("ix_ingest_requests_integration_id_at", "integration_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    integration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("integrations.id"))
    endpoint: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[int] = mapped_column()
    latency_ms: Mapped[float] = mapped_column(sa.Float)
    event_id: Mapped[str | None] = mapped_column(sa.String(80))
    error: Mapped[str | None] = mapped_column(sa.String(300))


class WebhookMessage(Base):
    """A signed webhook message seen once (its ``webhook-id``): a replay gets this answer back
    and writes nothing."""

    __tablename__ = "webhook_messages"

    integration_id: Mapped[int] = mapped_column(sa.ForeignKey("integrations.id"), primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[int] = mapped_column()
    response: Mapped[dict | None] = mapped_column(sa.JSON)


class InboxEvent(Base):
    """An accepted event that cannot be applied yet (a call for a lead not registered yet):
    kept with its reason, applied when its lead arrives, or resolved by a person.

    Not copied to the warehouse.
    """

    __tablename__ = "ingest_inbox"
    __table_args__ = (
        sa.UniqueConstraint("integration_id", "kind", "event_id"),
        sa.Index("ix_ingest_inbox_status_lead_external_id", "status", "lead_external_id"),
        sa.Index("ix_ingest_inbox_status_lead_phone", "status", "lead_phone"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    integration_id: Mapped[int] = mapped_column(sa.ForeignKey("integrations.id"))
    kind: Mapped[str] = mapped_column(choice(INBOX_KINDS))
    event_id: Mapped[str] = mapped_column(sa.String(80))
    lead_external_id: Mapped[str | None] = mapped_column(sa.String(80))
    lead_source: Mapped[str | None] = mapped_column(sa.String(40))
    lead_phone: Mapped[str | None] = mapped_column(sa.String(32))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(choice(INBOX_STATUSES), default="waiting")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


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
