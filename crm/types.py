"""Column types that keep money exact and times in UTC on both CRM databases.

PostgreSQL has native NUMERIC and TIMESTAMPTZ. SQLite has neither: a NUMERIC column there
silently turns '10.10' into a binary float, and a DATETIME column stores whatever string it is
given. These types make both databases hold the same exact values.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

# The one text form SQLite holds timestamps in. Fixed width, so that string order is time order
# (the ETL's watermark compares these strings) and the bulk writers can produce it too.
SQLITE_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"

CENT = Decimal("0.01")


class UTCDateTime(TypeDecorator):
    """A point in time, stored in UTC, always returned timezone-aware (UTC).

    Naive datetimes are refused rather than guessed at: a naive value is how a local time
    sneaks into a UTC column.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(26))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware (UTC) time")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.strftime(SQLITE_TIMESTAMP_FORMAT)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.strptime(value, SQLITE_TIMESTAMP_FORMAT)
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Money(TypeDecorator):
    """An exact amount with two decimals: NUMERIC(18, 2) on PostgreSQL, text on SQLite."""

    impl = sa.Numeric(18, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(24))
        return dialect.type_descriptor(sa.Numeric(18, 2, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        amount = Decimal(value)
        if amount != amount.quantize(CENT):
            raise ValueError(f"{value} has more than two decimals")
        amount = amount.quantize(CENT)
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(value).quantize(CENT)
