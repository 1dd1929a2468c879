"""A small brokerage written by hand, whose mart values are worked out by hand in the tests.

The run happens at AS_OF (Tuesday 2026-03-10 12:00 UTC). Rates: 1 EUR = 1.10 USD, 1 BRL = 0.20 USD.

People: 1 Mia (lead manager), 2 Alan and 3 Bea (AMs, conversion, team 1 "Conversion A"),
4 Cid (AM, retention, team 2 "Retention B"), 5 Eve (executive).

Leads:
- 1 Ana Lima (BR, BRL): Alan's; FTD 1,000.00 BRL on 03-09; a declined 250.00 BRL on 03-10;
  online now (a session still open, seen at 11:58); balance 500.00 BRL.
- 2 Ben Hall (GB, USD): Bea's, high priority, callback 03-10 18:00; one declined deposit
  (3-D Secure) on 03-09; no answer then busy; a "reach you" mail sent 03-10 10:30.
- 3 Cara Vogel (DE, EUR): Cid's on retention; self-deposited FTD 100.00 EUR on 02-03, 50.00 EUR
  on 03-10 (on Cid's target board); came back on 03-09 after 27 days away; balance 40.00 EUR.
- 4 Dan Saleh (AE, USD): registered today, nobody's yet.
- 5 "Bad" lead: malformed email → quarantined, and its session becomes an orphan.
Bad rows: a call in the future (7), a deposit of -5.00 (6), a deposit in currency XYZ (7).
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa

from crm.models import Base

AS_OF = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
T = Base.metadata.tables


def at(text: str) -> datetime:
    """'MM-DD HH:MM' in 2026, UTC."""
    return datetime.strptime(f"2026-{text}", "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)


def money(text: str) -> Decimal:
    return Decimal(text)


def lead(id, first, last, email, country, zone, currency, registered, **extra):
    row = dict(
        id=id,
        first_name=first,
        last_name=last,
        email=email,
        phone=f"+4470000000{id:02d}",
        country=country,
        time_zone=zone,
        language="en",
        source="organic",
        campaign=None,
        registered_at=at(registered),
        status="new",
        desk="conversion",
        am_id=None,
        is_starred=False,
        priority="normal",
        compliance_status="not_started",
        balance=money("0.00"),
        currency=currency,
        version=1,
        created_at=at(registered),
        updated_at=at(registered),
    )
    row.update(extra)
    return row


def session(id, lead_id, login, last_seen, logout):
    return dict(
        id=id,
        lead_id=lead_id,
        login_at=at(login),
        last_seen_at=at(last_seen),
        logout_at=at(logout) if logout else None,
        device="web",
        updated_at=at(last_seen),
    )


def call(id, lead_id, am_id, started, seconds, outcome):
    return dict(
        id=id,
        lead_id=lead_id,
        am_id=am_id,
        started_at=at(started),
        duration_s=seconds,
        outcome=outcome,
        created_at=at(started),
        updated_at=at(started),
    )


def deposit(
    id,
    lead_id,
    am_id,
    amount,
    currency,
    usd,
    method,
    provider,
    status,
    created,
    reason=None,
    self_deposit=False,
    ftd=False,
):
    return dict(
        id=id,
        lead_id=lead_id,
        am_id=am_id,
        amount=money(amount),
        currency=currency,
        amount_usd=money(usd),
        method=method,
        provider=provider,
        status=status,
        decline_reason=reason,
        is_self_deposit=self_deposit,
        is_ftd=ftd,
        decided_at=at(created) if status != "pending" else None,
        created_at=at(created),
        updated_at=at(created),
    )


def dans_declined_card(id, when, amount="80.00"):
    """A card deposit of Dan Saleh's (lead 4, nobody's), declined for insufficient funds: the
    event the real-time tests write after the run."""
    return deposit(
        id,
        4,
        None,
        amount,
        "USD",
        amount,
        "card",
        "Adyen",
        "declined",
        when,
        reason="insufficient_funds",
    )


def assignment(id, lead_id, from_am, to_am, to_desk, reason, when, by=1):
    return dict(
        id=id,
        lead_id=lead_id,
        from_am_id=from_am,
        to_am_id=to_am,
        from_desk="conversion" if from_am else None,
        to_desk=to_desk,
        by_id=by,
        reason=reason,
        assigned_at=at(when),
        created_at=at(when),
        updated_at=at(when),
    )


def email(id, lead_id, template, address, queued, sent):
    return dict(
        id=id,
        lead_id=lead_id,
        template=template,
        to_address=address,
        subject="s",
        body="b",
        status="sent",
        attempts=1,
        sent_at=at(sent),
        created_at=at(queued),
        updated_at=at(sent),
    )


ROWS = {
    "currencies": [
        dict(code="USD", usd_rate=Decimal("1"), updated_at=at("01-01 00:00")),
        dict(code="EUR", usd_rate=Decimal("1.10"), updated_at=at("01-01 00:00")),
        dict(code="BRL", usd_rate=Decimal("0.20"), updated_at=at("01-01 00:00")),
    ],
    "teams": [
        dict(
            id=1,
            name="Conversion A",
            desk="conversion",
            created_at=at("01-01 00:00"),
            updated_at=at("01-01 00:00"),
        ),
        dict(
            id=2,
            name="Retention B",
            desk="retention",
            created_at=at("01-01 00:00"),
            updated_at=at("01-01 00:00"),
        ),
    ],
    "staff": [
        dict(
            id=1,
            name="Mia Manager",
            email="mia@b.example",
            role="lead_manager",
            desk=None,
            team_id=None,
            time_zone="Europe/London",
            is_active=True,
        ),
        dict(
            id=2,
            name="Alan Ames",
            email="alan@b.example",
            role="account_manager",
            desk="conversion",
            team_id=1,
            time_zone="Europe/London",
            is_active=True,
        ),
        dict(
            id=3,
            name="Bea Brook",
            email="bea@b.example",
            role="account_manager",
            desk="conversion",
            team_id=1,
            time_zone="Europe/London",
            is_active=True,
        ),
        dict(
            id=4,
            name="Cid Cole",
            email="cid@b.example",
            role="account_manager",
            desk="retention",
            team_id=2,
            time_zone="Europe/London",
            is_active=True,
        ),
        dict(
            id=5,
            name="Eve Exec",
            email="eve@b.example",
            role="executive",
            desk=None,
            team_id=None,
            time_zone="Europe/London",
            is_active=True,
        ),
    ],
    "leads": [
        lead(
            1,
            "Ana",
            "Lima",
            "ana@mail.example",
            "BR",
            "America/Sao_Paulo",
            "BRL",
            "03-08 10:00",
            am_id=2,
            status="contacted",
            balance=money("500.00"),
            ftd_at=at("03-09 15:00"),
            last_login_at=at("03-10 11:50"),
        ),
        lead(
            2,
            "Ben",
            "Hall",
            "ben@mail.example",
            "GB",
            "Europe/London",
            "USD",
            "03-09 09:00",
            am_id=3,
            status="follow_up",
            priority="high",
            callback_at=at("03-10 18:00"),
            is_starred=True,
            starred_by_id=1,
            starred_at=at("03-10 08:00"),
        ),
        lead(
            3,
            "Cara",
            "Vogel",
            "cara@mail.example",
            "DE",
            "Europe/Berlin",
            "EUR",
            "02-01 08:00",
            am_id=4,
            desk="retention",
            status="retention",
            balance=money("40.00"),
            ftd_at=at("02-03 10:00"),
            compliance_status="approved",
        ),
        lead(4, "Dan", "Saleh", "dan@mail.example", "AE", "Asia/Dubai", "USD", "03-10 09:30"),
        lead(5, "Bad", "Row", "not-an-email", "GB", "Europe/London", "USD", "03-09 11:00"),
    ],
    "platform_sessions": [
        session(1, 1, "03-08 10:01", "03-08 10:30", "03-08 10:30"),
        session(2, 1, "03-10 11:50", "03-10 11:58", None),
        session(3, 2, "03-09 09:05", "03-09 09:20", "03-09 09:20"),
        session(4, 3, "02-01 08:05", "02-01 08:40", "02-01 08:40"),
        session(5, 3, "02-10 12:00", "02-10 12:30", "02-10 12:30"),
        session(6, 3, "03-09 20:00", "03-09 20:30", None),
        session(7, 4, "03-10 09:31", "03-10 09:40", "03-10 09:40"),
        session(8, 5, "03-09 11:01", "03-09 11:10", "03-09 11:10"),
    ],
    "calls": [
        call(1, 1, 2, "03-08 11:00", 300, "connected"),
        call(2, 1, 2, "03-09 14:00", 120, "connected"),
        call(3, 2, 3, "03-09 10:00", 10, "no_answer"),
        call(4, 2, 3, "03-10 10:00", 0, "busy"),
        call(5, 3, 4, "03-10 09:00", 600, "connected"),
        call(6, 1, 2, "03-10 08:00", 30, "voicemail"),
        call(7, 4, 2, "03-11 09:00", 60, "connected"),  # in the future: quarantined
    ],
    "deposit_attempts": [
        deposit(
            1,
            1,
            2,
            "1000.00",
            "BRL",
            "200.00",
            "card",
            "Stripe",
            "approved",
            "03-09 15:00",
            ftd=True,
        ),
        deposit(
            2,
            1,
            2,
            "250.00",
            "BRL",
            "50.00",
            "card",
            "Stripe",
            "declined",
            "03-10 09:00",
            reason="insufficient funds",
        ),
        deposit(
            3,
            3,
            4,
            "100.00",
            "EUR",
            "110.00",
            "wire",
            "Wire transfer",
            "approved",
            "02-03 10:00",
            self_deposit=True,
            ftd=True,
        ),
        deposit(4, 3, 4, "50.00", "EUR", "55.00", "e_wallet", "Skrill", "approved", "03-10 09:30"),
        deposit(
            5,
            2,
            3,
            "300.00",
            "USD",
            "300.00",
            "card",
            "Nuvei",
            "declined",
            "03-09 12:00",
            reason="3-D Secure failed",
        ),
        deposit(
            6, 4, None, "-5.00", "USD", "0.00", "card", "Stripe", "approved", "03-10 10:00"
        ),  # negative: quarantined
        deposit(
            7, 4, None, "10.00", "XYZ", "10.00", "crypto", "BitPay", "approved", "03-10 10:05"
        ),  # unknown currency: quarantined
    ],
    "target_board_entries": [
        dict(
            id=1,
            am_id=4,
            deposit_id=4,
            amount_usd=money("55.00"),
            recorded_by_id=1,
            recorded_at=at("03-10 10:00"),
            created_at=at("03-10 10:00"),
            updated_at=at("03-10 10:00"),
        ),
    ],
    "assignments": [
        assignment(1, 1, None, 2, "conversion", "new_lead", "03-08 10:30"),
        assignment(2, 2, None, 3, "conversion", "new_lead", "03-09 09:30"),
        assignment(3, 2, 3, 3, "conversion", "follow_up", "03-10 10:01", by=3),
        assignment(4, 3, None, 4, "retention", "retention", "02-05 09:00"),
        assignment(5, 1, 2, 2, "conversion", "failed_deposit", "03-10 09:30"),
    ],
    "notes": [
        dict(
            id=1,
            lead_id=2,
            author_id=3,
            body="call back after work",
            created_at=at("03-09 10:05"),
            updated_at=at("03-09 10:05"),
        ),
    ],
    "email_outbox": [
        email(1, 1, "welcome", "ana@mail.example", "03-08 10:00", "03-08 10:01"),
        email(2, 2, "welcome", "ben@mail.example", "03-09 09:00", "03-09 09:01"),
        email(3, 3, "welcome", "cara@mail.example", "02-01 08:00", "02-01 08:01"),
        email(4, 4, "welcome", "dan@mail.example", "03-10 09:30", "03-10 09:31"),
        email(5, 2, "reach_you", "ben@mail.example", "03-10 10:29", "03-10 10:30"),
    ],
    "am_targets": [
        dict(
            id=1,
            am_id=4,
            period_start=datetime(2026, 3, 1).date(),
            period_end=datetime(2026, 3, 31).date(),
            target_usd=money("1000.00"),
            target_ftds=0,
        ),
    ],
}


def build_small_crm(engine: sa.Engine) -> None:
    """Write the small brokerage into the (migrated, empty) CRM behind ``engine``."""
    with engine.begin() as connection:
        for name, rows in ROWS.items():
            for row in rows:  # one by one: the rows do not all name the same columns
                connection.execute(sa.insert(T[name]).values(row))
            if connection.dialect.name == "postgresql" and "id" in T[name].c:
                # The rows came with ids: later inserts must get new ones.
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}"
                )

        # pages-b: support tickets (F6) and two more AM targets (F12), for the pages of
        # issue 4. Only new rows, so every value worked out above still holds.
        #   tickets: 1 Ben's, Bea owns, high, open since 03-09 12:05;
        #            2 Ana's, nobody owns, normal, open since 03-10 09:00;
        #            3 Cara's, Cid owns, urgent, pending since 03-10 11:00;
        #            4 Cara's, Cid owns, low, closed (03-01 10:00 to 03-02 10:00);
        #            5 Dan's, Mia owns, normal, open since 03-06 08:00.
        #   targets: 2 Alan, March, 500.00 USD and 2 FTDs; 3 Cid, February, 300.00 USD and 1 FTD.
        def ticket(id, lead_id, owner, subject, priority, status, opened, closed=None):
            return dict(
                id=id,
                lead_id=lead_id,
                owner_id=owner,
                subject=subject,
                priority=priority,
                status=status,
                opened_at=at(opened),
                closed_at=at(closed) if closed else None,
                created_at=at(opened),
                updated_at=at(closed or opened),
            )

        def target(id, am_id, first, last, usd, ftds):
            return dict(
                id=id,
                am_id=am_id,
                period_start=datetime.strptime(first, "%Y-%m-%d").date(),
                period_end=datetime.strptime(last, "%Y-%m-%d").date(),
                target_usd=money(usd),
                target_ftds=ftds,
            )

        pages_b = {
            "support_tickets": [
                ticket(1, 2, 3, "Card keeps being declined", "high", "open", "03-09 12:05"),
                ticket(2, 1, None, "Withdrawal question", "normal", "open", "03-10 09:00"),
                ticket(3, 3, 4, "KYC document upload fails", "urgent", "pending", "03-10 11:00"),
                ticket(4, 3, 4, "Password reset", "low", "closed", "03-01 10:00", "03-02 10:00"),
                ticket(5, 4, 1, "Platform login problem", "normal", "open", "03-06 08:00"),
            ],
            "am_targets": [
                target(2, 2, "2026-03-01", "2026-03-31", "500.00", 2),
                target(3, 4, "2026-02-01", "2026-02-28", "300.00", 1),
            ],
        }
        for name, rows in pages_b.items():
            for row in rows:
                connection.execute(sa.insert(T[name]).values(row))
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}"
                )
