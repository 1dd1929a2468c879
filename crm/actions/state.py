"""The audited state of a lead: the columns people change, as the audit log's JSON holds them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

# The columns people change, which ``version`` counts: the audit's before and after hold these,
# so replaying the audit log gives each lead's state.
LEAD_STATE = (
    "am_id",
    "desk",
    "status",
    "is_starred",
    "starred_by_id",
    "starred_at",
    "priority",
    "callback_at",
    "compliance_status",
    "version",
)


def jsonable(values: dict) -> dict:
    """Values as the audit log's JSON holds them: times in ISO UTC, money as text."""
    out = {}
    for key, value in values.items():
        if isinstance(value, datetime):
            value = value.astimezone(timezone.utc).isoformat()
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out[key] = value
    return out


def lead_state(row: Any) -> dict:
    """The audited state of a lead row (or mapping of its columns)."""
    get = row.get if isinstance(row, Mapping) else row._mapping.get
    return jsonable({name: get(name) for name in LEAD_STATE})
