"""The AMs' calls to their leads."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.models.base import Base, BigId, Timestamped, choice
from crm.types import UTCDateTime

CALL_OUTCOMES = ("connected", "no_answer", "busy", "voicemail", "wrong_number")


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
