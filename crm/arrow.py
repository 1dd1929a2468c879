"""Arrow types of the CRM's tables, read from the SQLAlchemy metadata (the one schema).

The demo's bulk writer builds Arrow columns with them, and the ETL reads the CRM into them.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from crm.types import Money, UTCDateTime

TIMESTAMP = pa.timestamp("us", tz="UTC")
MONEY = pa.decimal128(18, 2)


def arrow_type(column: sa.Column) -> pa.DataType:
    """The Arrow type a CRM column's values travel in."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return TIMESTAMP
    if isinstance(kind, Money):
        return MONEY
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
        return pa.decimal128(kind.precision or 18, kind.scale or 0)
    if isinstance(kind, sa.Boolean):
        return pa.bool_()
    if isinstance(kind, sa.Integer):
        return pa.int64()
    if isinstance(kind, sa.Date):
        return pa.date32()
    if isinstance(kind, sa.JSON | sa.String | sa.Enum):
        return pa.string()
    raise TypeError(f"no Arrow type for {column.table.name}.{column.name} ({kind!r})")


def arrow_schema(table: sa.Table) -> pa.Schema:
    return pa.schema([pa.field(c.name, arrow_type(c), nullable=c.nullable) for c in table.columns])


def money_from_cents(cents: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Exact decimal(18, 2) amounts from integer cents, with no float on the way.

    A decimal128 is its unscaled integer in 16 little-endian bytes: the cents, sign-extended.
    """
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = np.where(cents < 0, -1, 0)
    validity = None
    null_count = 0
    if valid is not None:
        validity = pa.py_buffer(np.packbits(valid.astype(np.uint8), bitorder="little"))
        null_count = int(len(valid) - valid.sum())
    return pa.Array.from_buffers(
        MONEY, len(cents), [validity, pa.py_buffer(words.tobytes())], null_count=null_count
    )


def timestamps(micros: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """UTC timestamps from microseconds since the epoch (``valid`` False → NULL)."""
    mask = None if valid is None else ~valid
    return pa.array(np.asarray(micros, dtype=np.int64), type=pa.int64(), mask=mask).cast(TIMESTAMP)
