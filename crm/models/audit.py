"""What the CRM keeps about its own changes: audit, applied actions, settings, tombstones."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.models.base import Base, BigId, utcnow
from crm.types import UTCDateTime


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
