"""The declarative base every table shares: naming convention, ids, choices, timestamps."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from crm.types import UTCDateTime

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
