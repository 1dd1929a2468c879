"""The distribution rules as the CRM keeps them, and which rule a lead falls under.

A rule's segment is any of: desk, country, language, source, affiliate, campaign (each a list
of values, None for any), registration hour (the lead's UTC hour, from included, until
excluded, wrapping past midnight) and deposit status. The first active rule, by position, whose
segment matches the lead wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from crm.models import DistributionPoolMember, DistributionRule

RULES = DistributionRule.__table__
POOL = DistributionPoolMember.__table__
# Segment fields: (rule column, lead column).
LIST_SEGMENTS = (
    ("desks", "desk"),
    ("countries", "country"),
    ("languages", "language"),
    ("sources", "source"),
    ("affiliates", "affiliate"),
    ("campaigns", "campaign"),
)
# What decide() needs of a lead, read from ``leads``.
LEAD_FIELDS = (
    "id",
    "desk",
    "country",
    "language",
    "source",
    "affiliate",
    "campaign",
    "registered_at",
    "ftd_at",
)


@dataclass(frozen=True)
class Member:
    am_id: int
    weight: int


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    position: int
    is_active: bool
    segment: Mapping[str, tuple[str, ...] | None]
    hour_from: int | None
    hour_until: int | None
    deposit_status: str | None
    daily_cap: int | None
    open_cap: int | None
    star: bool
    members: tuple[Member, ...]

    @cached_property
    def weights(self) -> dict[int, int]:
        """The pool: AM id → weight."""
        return {member.am_id: member.weight for member in self.members}

    def matches(self, lead: Mapping[str, Any]) -> bool:
        for column, field in LIST_SEGMENTS:
            wanted = self.segment.get(column)
            if wanted is not None and lead.get(field) not in wanted:
                return False
        if self.hour_from is not None and self.hour_until is not None:
            hour = lead["registered_at"].hour
            start, end = self.hour_from, self.hour_until
            inside = start <= hour < end if start < end else (hour >= start or hour < end)
            if not inside:
                return False
        if self.deposit_status is not None:
            deposited = lead.get("ftd_at") is not None
            if deposited != (self.deposit_status == "deposited"):
                return False
        return True

    def describe(self) -> str:
        """The segment in a line, for the list of rules."""
        parts = [
            f"{column}: {', '.join(values)}"
            for column, _ in LIST_SEGMENTS
            if (values := self.segment.get(column)) is not None
        ]
        if self.hour_from is not None and self.hour_until is not None:
            parts.append(f"registered {self.hour_from:02d}:00-{self.hour_until:02d}:00 UTC")
        if self.deposit_status:
            parts.append(self.deposit_status.replace("_", " "))
        return "; ".join(parts) or "every lead (fallback)"


def first_match(rules: Iterable[Rule], lead: Mapping[str, Any]) -> Rule | None:
    """The first active rule whose segment the lead is in (``rules`` in position order)."""
    return next((rule for rule in rules if rule.is_active and rule.matches(lead)), None)


def load_rules(connection: sa.Connection, *, active_only: bool = False) -> list[Rule]:
    """Every rule with its pool, in position order."""
    query = sa.select(RULES).order_by(RULES.c.position, RULES.c.id)
    if active_only:
        query = query.where(RULES.c.is_active)
    rows = connection.execute(query).all()
    if not rows:
        return []
    members: dict[int, list[Member]] = {row.id: [] for row in rows}
    for row in connection.execute(
        sa.select(POOL.c.rule_id, POOL.c.am_id, POOL.c.weight)
        .where(POOL.c.rule_id.in_(list(members)))
        .order_by(POOL.c.rule_id, POOL.c.am_id)
    ):
        members[row.rule_id].append(Member(row.am_id, row.weight))
    return [rule_from_row(row, members[row.id]) for row in rows]


def rule_from_row(row: Any, members: Iterable[Member]) -> Rule:
    mapping = row._mapping if hasattr(row, "_mapping") else row
    return Rule(
        id=mapping["id"],
        name=mapping["name"],
        position=mapping["position"],
        is_active=bool(mapping["is_active"]),
        segment={
            column: None if mapping[column] is None else tuple(mapping[column])
            for column, _ in LIST_SEGMENTS
        },
        hour_from=mapping["hour_from"],
        hour_until=mapping["hour_until"],
        deposit_status=mapping["deposit_status"],
        daily_cap=mapping["daily_cap"],
        open_cap=mapping["open_cap"],
        star=bool(mapping["star"]),
        members=tuple(members),
    )
