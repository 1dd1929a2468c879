"""The small brokerage (tests/etl/small_crm.py) with the FTD and deposit-day cases of issue 23.

Built on top of small_crm rather than inside it, so every value the other tests worked out by
hand from small_crm still holds. The new rows (all amounts in USD unless said):

- 8  Ana (lead 1, Alan's): the same 1,000.00 BRL (200.00) submitted twice: approved at 03-09
     15:00 (attempt) and decided 15:01, *also* flagged FTD by the CRM. The warehouse's FTD is
     attempt 1 (approved 15:00); 8 is a deposit, not an FTD.
- 9  Ben (lead 2, Bea's): 100.00 card, attempted 03-09 16:00, flagged FTD, approved, then
     charged back (decided 03-10 08:00): no deposit, no FTD.
- 10 Ben: 60.00 card, attempted and approved 03-10 07:00, not flagged: Ben's FTD (the FTD
     moved here from 9). On Bea's target board as 50.00 (the amount was corrected since).
- 11 Cara (lead 3, Cid's): 20.00 EUR (22.00), attempted 03-09 23:50, approved 03-10 00:10:
     counts on 03-10.
- 12 Dan (lead 4, nobody's): 40.00 crypto, a self deposit approved 03-10 11:00, flagged FTD:
     Dan's FTD, credited to no AM.
Board: entry 2 (Bea, attempt 9, 100.00), entry 3 (Bea, attempt 10, recorded as 50.00);
target 4: Bea, March, 400.00 USD and 1 FTD.

So the warehouse's FTDs are attempts 1, 3, 10, 12; the CRM's flags 1, 3, 8, 9, 12: they
disagree on 8, 9 (flagged, not FTD) and 10 (FTD, not flagged).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tests.etl.small_crm import T, at, build_small_crm, deposit, money

EXTRA_DEPOSITS = [
    {
        **deposit(8, 1, 2, "1000.00", "BRL", "200.00", "card", "Stripe", "approved", "03-09 15:00"),
        "is_ftd": True,
        "decided_at": at("03-09 15:01"),
    },
    {
        **deposit(
            9, 2, 3, "100.00", "USD", "100.00", "card", "Nuvei", "charged_back", "03-09 16:00"
        ),
        "is_ftd": True,
        "decided_at": at("03-10 08:00"),
        "updated_at": at("03-10 08:00"),
    },
    deposit(10, 2, 3, "60.00", "USD", "60.00", "card", "Nuvei", "approved", "03-10 07:00"),
    {
        **deposit(
            11, 3, 4, "20.00", "EUR", "22.00", "wire", "Wire transfer", "approved", "03-09 23:50"
        ),
        "decided_at": at("03-10 00:10"),
        "updated_at": at("03-10 00:10"),
    },
    deposit(
        12,
        4,
        None,
        "40.00",
        "USD",
        "40.00",
        "crypto",
        "BitPay",
        "approved",
        "03-10 11:00",
        self_deposit=True,
        ftd=True,
    ),
]


def board_entry(id, am_id, deposit_id, usd, when):
    return dict(
        id=id,
        am_id=am_id,
        deposit_id=deposit_id,
        amount_usd=money(usd),
        recorded_by_id=1,
        recorded_at=at(when),
        created_at=at(when),
        updated_at=at(when),
    )


EXTRA = {
    "deposit_attempts": EXTRA_DEPOSITS,
    "target_board_entries": [
        board_entry(2, 3, 9, "100.00", "03-09 16:05"),
        board_entry(3, 3, 10, "50.00", "03-10 07:05"),
    ],
    "am_targets": [
        dict(
            id=4,
            am_id=3,
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 31),
            target_usd=money("400.00"),
            target_ftds=1,
        ),
    ],
}


def add_ftd_cases(engine: sa.Engine) -> None:
    """Write the rows above into a CRM that already holds the small brokerage."""
    with engine.begin() as connection:
        for name, rows in EXTRA.items():
            for row in rows:
                connection.execute(sa.insert(T[name]).values(row))
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}"
                )


def build_ftd_crm(engine: sa.Engine) -> None:
    """The small brokerage and the cases above."""
    build_small_crm(engine)
    add_ftd_cases(engine)
