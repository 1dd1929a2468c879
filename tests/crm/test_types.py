"""Money stays exact, times stay UTC, and the database itself refuses bad rows, on both CRMs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from crm.models import Base, Call, DepositAttempt, Lead, Staff

UTC = timezone.utc
INDIA = timezone(timedelta(hours=5, minutes=30))


def new_lead(**changes) -> Lead:
    values = dict(
        first_name="Amira",
        last_name="Haddad",
        email="amira@example.com",
        phone="+971500000001",
        country="AE",
        time_zone="Asia/Dubai",
        language="ar",
        source="google",
        registered_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
    )
    return Lead(**{**values, **changes})


def new_am(**changes) -> Staff:
    values = dict(
        name="Dan Cohen", email="dan@starboard.example", role="account_manager", desk="conversion"
    )
    return Staff(**{**values, **changes})


def add(engine: sa.Engine, *rows) -> list[int]:
    with Session(engine) as session:
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows]


def test_balances_read_back_exactly(crm_engine):
    big, small = add(
        crm_engine,
        new_lead(balance=Decimal("1234567.89")),
        new_lead(email="second@example.com", balance=Decimal("0.10")),
    )

    with Session(crm_engine) as session:
        big_balance = session.get(Lead, big).balance
        small_balance = session.get(Lead, small).balance

    assert isinstance(big_balance, Decimal) and str(big_balance) == "1234567.89"
    assert isinstance(small_balance, Decimal) and str(small_balance) == "0.10"


def test_deposit_amounts_add_up_to_the_cent(crm_engine):
    # 0.10 + 0.20 is 0.30000000000000004 in binary floating point: a float anywhere shows here.
    (lead_id,) = add(crm_engine, new_lead())
    amounts = ["0.10", "0.20", "1234567.89", "99.99"]
    add(
        crm_engine,
        *[
            DepositAttempt(
                lead_id=lead_id,
                amount=Decimal(amount),
                currency="USD",
                amount_usd=Decimal(amount),
                method="card",
                provider="Checkout",
                status="approved",
            )
            for amount in amounts
        ],
    )

    with Session(crm_engine) as session:
        read_back = session.scalars(sa.select(DepositAttempt.amount)).all()

    assert sum(read_back, Decimal(0)) == Decimal("1234668.18")


def test_times_read_back_as_the_same_utc_instant(crm_engine):
    at_noon_utc = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    (lead_id,) = add(crm_engine, new_lead(registered_at=at_noon_utc))

    with Session(crm_engine) as session:
        registered_at = session.get(Lead, lead_id).registered_at

    assert registered_at == at_noon_utc
    assert registered_at.utcoffset() == timedelta(0)


def test_a_time_with_an_offset_is_stored_as_its_utc_instant(crm_engine):
    # 12:00 in India is 06:30 UTC: it must sort and filter before a lead registered at 07:00 UTC.
    india_noon, seven_utc = add(
        crm_engine,
        new_lead(registered_at=datetime(2026, 3, 1, 12, 0, tzinfo=INDIA)),
        new_lead(email="later@example.com", registered_at=datetime(2026, 3, 1, 7, 0, tzinfo=UTC)),
    )

    with Session(crm_engine) as session:
        in_order = session.scalars(sa.select(Lead.id).order_by(Lead.registered_at)).all()
        before_seven = session.scalars(
            sa.select(Lead.id).where(Lead.registered_at < datetime(2026, 3, 1, 7, 0, tzinfo=UTC))
        ).all()
        registered_at = session.get(Lead, india_noon).registered_at

    assert in_order == [india_noon, seven_utc]
    assert before_seven == [india_noon]
    assert registered_at == datetime(2026, 3, 1, 6, 30, tzinfo=UTC)
    assert registered_at.utcoffset() == timedelta(0)


def count_leads(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(Lead))


def test_a_naive_time_is_refused(crm_engine):
    with pytest.raises((ValueError, StatementError), match="naive datetime"):
        add(crm_engine, new_lead(registered_at=datetime(2026, 3, 1, 12, 0)))
    assert count_leads(crm_engine) == 0


def test_an_amount_with_three_decimals_is_refused(crm_engine):
    with pytest.raises((ValueError, StatementError), match="more than two decimals"):
        add(crm_engine, new_lead(balance=Decimal("10.005")))
    assert count_leads(crm_engine) == 0


# Raw SQL, so that only the database's CHECK constraint stands between the value and the table.
INSERT_STAFF = sa.text(
    "INSERT INTO staff (name, email, role, time_zone, is_active, created_at, updated_at) "
    "VALUES ('Noa Levi', :email, :role, 'UTC', :is_active, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)
INSERT_CALL = sa.text(
    "INSERT INTO calls (lead_id, am_id, started_at, duration_s, outcome, created_at, updated_at) "
    "VALUES (:lead_id, :am_id, CURRENT_TIMESTAMP, 0, :outcome, CURRENT_TIMESTAMP, "
    "CURRENT_TIMESTAMP)"
)


def test_the_database_refuses_an_unknown_role(crm_engine):
    with crm_engine.begin() as connection:
        connection.execute(
            INSERT_STAFF, {"email": "ok@starboard.example", "role": "executive", "is_active": True}
        )

    with pytest.raises(IntegrityError, match="role"), crm_engine.begin() as connection:
        connection.execute(
            INSERT_STAFF, {"email": "no@starboard.example", "role": "janitor", "is_active": True}
        )


def test_the_database_refuses_an_unknown_call_outcome(crm_engine):
    lead_id, am_id = add(crm_engine, new_lead(), new_am())
    with crm_engine.begin() as connection:
        connection.execute(INSERT_CALL, {"lead_id": lead_id, "am_id": am_id, "outcome": "busy"})

    with pytest.raises(IntegrityError, match="outcome"), crm_engine.begin() as connection:
        connection.execute(INSERT_CALL, {"lead_id": lead_id, "am_id": am_id, "outcome": "hung_up"})


def test_foreign_keys_are_enforced(crm_engine):
    # SQLite ignores foreign keys unless each connection turns them on.
    (am_id,) = add(crm_engine, new_am())
    missing_lead = 999_999
    with pytest.raises(IntegrityError):
        add(
            crm_engine,
            Call(
                lead_id=missing_lead,
                am_id=am_id,
                outcome="connected",
                started_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
            ),
        )

    with crm_engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(Call)) == 0


def test_every_updated_at_is_indexed(crm_engine):
    # The ETL reads every table by updated_at: without an index each read scans the table.
    inspector = sa.inspect(crm_engine)
    tables = [table for table in Base.metadata.sorted_tables if "updated_at" in table.c]
    assert tables, "no table has updated_at"

    unindexed = [
        table.name
        for table in tables
        if not any(
            index["column_names"][:1] == ["updated_at"]
            for index in inspector.get_indexes(table.name)
        )
    ]
    assert unindexed == []
