"""A small sales floor for the action tests, with every value written out by hand.

NOW is 2026-03-10 12:00 UTC. Staff: Maria (lead manager), Alice and Bob (conversion AMs),
Rita (retention AM), Carl (conversion AM who left, inactive), Eve (executive).

| lead    | owner | desk       | status    | version | zone             | deposited |
| ------- | ----- | ---------- | --------- | ------- | ---------------- | --------- |
| new1    | -     | conversion | new       | 1       | Europe/London    | no        |
| new2    | -     | conversion | new       | 3       | America/New_York | no        |
| owned   | Alice | conversion | assigned  | 2       | Asia/Tokyo       | no        |
| client  | Alice | conversion | converted | 1       | Europe/Berlin    | yes (FTD 5 March) |
| kept    | Rita  | retention  | retention | 5       | Europe/London    | yes       |

The client's compliance is pending. Deposits: ``declined`` 250.00 EUR by card (Stripe),
insufficient funds, on new2; ``self`` 500.00 USD approved self deposit on client;
``owned_deposit`` 1,000.00 EUR (1,080.00 USD) approved with Alice, on client.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa

from crm.models import Base

T = Base.metadata.tables
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
COUNTED = (
    "leads",
    "assignments",
    "notes",
    "calls",
    "email_outbox",
    "target_board_entries",
    "crm_settings",
    "audit_log",
    "applied_actions",
)


def build_floor(engine: sa.Engine) -> dict[str, int]:
    """The floor above; returns the ids by name (staff, leads, deposits)."""
    ids: dict[str, int] = {}
    stamp = {"created_at": NOW - timedelta(days=30), "updated_at": NOW - timedelta(days=30)}
    with engine.begin() as connection:
        for name, desk in (("Conversion", "conversion"), ("Retention", "retention")):
            ids[f"team_{desk}"] = connection.execute(
                T["teams"].insert().returning(T["teams"].c.id),
                {"name": name, "desk": desk, **stamp},
            ).scalar_one()
        for name, role, desk, active in (
            ("Maria", "lead_manager", None, True),
            ("Alice", "account_manager", "conversion", True),
            ("Bob", "account_manager", "conversion", True),
            ("Rita", "account_manager", "retention", True),
            ("Carl", "account_manager", "conversion", False),
            ("Eve", "executive", None, True),
        ):
            ids[name] = connection.execute(
                T["staff"].insert().returning(T["staff"].c.id),
                {
                    "name": name,
                    "email": f"{name.lower()}@starboard.test",
                    "role": role,
                    "desk": desk,
                    "team_id": ids[f"team_{desk}"] if desk else None,
                    "time_zone": "Europe/London",
                    "is_active": active,
                    **stamp,
                },
            ).scalar_one()
        for name, owner, desk, status, version, zone, ftd in (
            ("new1", None, "conversion", "new", 1, "Europe/London", None),
            ("new2", None, "conversion", "new", 3, "America/New_York", None),
            ("owned", "Alice", "conversion", "assigned", 2, "Asia/Tokyo", None),
            ("client", "Alice", "conversion", "converted", 1, "Europe/Berlin", NOW.replace(day=5)),
            ("kept", "Rita", "retention", "retention", 5, "Europe/London", NOW.replace(day=1)),
        ):
            ids[name] = connection.execute(
                T["leads"].insert().returning(T["leads"].c.id),
                {
                    "first_name": name.capitalize(),
                    "last_name": "Test",
                    "email": f"{name}@example.com",
                    "phone": "+44700900123",
                    "country": "GB",
                    "time_zone": zone,
                    "language": "en",
                    "source": "organic",
                    "registered_at": NOW - timedelta(days=20),
                    "status": status,
                    "desk": desk,
                    "am_id": ids[owner] if owner else None,
                    "compliance_status": "pending" if name == "client" else "not_started",
                    "ftd_at": ftd,
                    "version": version,
                    **stamp,
                },
            ).scalar_one()
        for name, lead, am, amount, currency, usd, status, reason, self_deposit in (
            (
                "declined",
                "new2",
                None,
                "250.00",
                "EUR",
                "270.00",
                "declined",
                "insufficient funds",
                False,
            ),  # noqa: E501
            ("self", "client", None, "500.00", "USD", "500.00", "approved", None, True),
            (
                "owned_deposit",
                "client",
                "Alice",
                "1000.00",
                "EUR",
                "1080.00",
                "approved",
                None,
                False,
            ),  # noqa: E501
        ):
            ids[name] = connection.execute(
                T["deposit_attempts"].insert().returning(T["deposit_attempts"].c.id),
                {
                    "lead_id": ids[lead],
                    "am_id": ids[am] if am else None,
                    "amount": Decimal(amount),
                    "currency": currency,
                    "amount_usd": Decimal(usd),
                    "method": "card",
                    "provider": "Stripe",
                    "status": status,
                    "decline_reason": reason,
                    "is_self_deposit": self_deposit,
                    "is_ftd": False,
                    **stamp,
                },
            ).scalar_one()
    return ids


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.scalar(sa.select(sa.func.count()).select_from(T[name]))
            for name in COUNTED
        }


def lead(engine: sa.Engine, lead_id: int) -> sa.Row:
    with engine.connect() as connection:
        return connection.execute(sa.select(T["leads"]).where(T["leads"].c.id == lead_id)).one()


def rows(engine: sa.Engine, table: str, *where) -> list[sa.Row]:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(T[table]).where(*where).order_by(*T[table].primary_key)
        ).all()
