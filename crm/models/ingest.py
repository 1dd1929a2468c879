"""The ingest API's tables: integrations, requests, webhook messages, the inbox."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.models.base import Base, BigId, Timestamped, choice, utcnow
from crm.types import UTCDateTime

# The brokerage's own systems that send data in through the ingest API (issue 24).
INTEGRATION_KINDS = ("website", "affiliate", "platform", "psp", "dialer")
INBOX_KINDS = ("call", "deposit", "platform")
INBOX_STATUSES = ("waiting", "applied", "dismissed")


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
