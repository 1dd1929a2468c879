"""Money: currencies, deposit attempts, the AMs' targets and target boards."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.models.base import Base, BigId, Timestamped, choice, utcnow
from crm.types import Money, UTCDateTime

DEPOSIT_METHODS = ("card", "wire", "e_wallet", "crypto")
# A deposit attempt's state as its payment service provider last reported it. Pending until the
# provider decides; an approved deposit can later be reversed (refunded or charged back).
DEPOSIT_STATUSES = ("approved", "declined", "pending", "refunded", "charged_back")


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
