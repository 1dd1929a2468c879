"""The small brokerage (tests/etl/small_crm.py) with a working morning on Tuesday 03-10 in which
one AM, Alan, goes idle: the sales dashboard's "who is behind today" (issue 23, item 4).

Built on top of small_crm, so every value worked out from small_crm still holds elsewhere.
All times UTC; London, every AM's zone, is on UTC until 03-29. The new rows:

- shifts: Alan (2) Tuesdays 09:30-18:00 London; Cid (4) Tuesdays 08:00-16:00; Bea (3) none,
  so the floor's hours (09:00-18:00) are hers.
- calls 8  Bea  -> Ben  03-10 11:00 connected 240 s
         9  Bea  -> Ben  03-10 11:40 no answer
         10 Cid  -> Cara 03-10 11:15 connected 300 s
         11 Cid  -> Cara 03-03 10:20 connected 60 s    (a Tuesday before: the typical day)
         12 Cid  -> Cara 02-24 10:50 no answer         (another)
- deposit 8: Cara (Cid's) 400.00 USD wire, approved 03-10 11:30; on Cid's board (entry 2).
- board entry 3: Alan's FTD of 03-09 (attempt 1, 200.00 USD) on Alan's board.
- stars: Ana (lead 1, Alan's, called today 08:00) starred; lead 6 Fay Ng, Alan's, registered
  03-01, starred, never called.

So on 03-10 at 12:00 (Alan's only call of the day was at 08:00, before his shift):
  Alan: 1 call, 0 connected, 0 %, talk 0; 2 h 30 min of his shift without a call (09:30 to
        12:00): behind; 2 starred, 1 not called today (Fay); board 200.00 of 500.00 (40.0 %).
  Bea:  3 calls (10:00 busy, 11:00, 11:40), 1 connected, 33.3 %, talk 4 min; 20 min since her
        last call; Ben starred and called today: 0 not called; no target.
  Cid:  2 calls (09:00 600 s, 11:15 300 s), 2 connected, 100 %, talk 15 min; 45 min since his
        last call; deposits 55.00 (09:30) + 400.00 = 2, 455.00 USD, no FTD; board 455.00 of
        1,000.00 (45.5 %).
  Expected by now, March: 22 working days, 6 of them before 03-10, and 3 of 03-10's 9 hours
  gone: 6.333 / 22 = 28.8 %. Alan and Cid are above 75 % of it, so on pace.
"""

from __future__ import annotations

import sqlalchemy as sa

from tests.etl.small_crm import T, at, call, deposit, lead, money

EXTRA = {
    "leads": [
        lead(
            6,
            "Fay",
            "Ng",
            "fay@mail.example",
            "GB",
            "Europe/London",
            "USD",
            "03-01 10:00",
            am_id=2,
            status="contacted",
            is_starred=True,
            starred_by_id=1,
            starred_at=at("03-10 08:00"),
        ),
    ],
    "am_shifts": [
        dict(id=1, am_id=2, weekday=1, start_minute=9 * 60 + 30, end_minute=18 * 60),
        dict(id=2, am_id=4, weekday=1, start_minute=8 * 60, end_minute=16 * 60),
    ],
    "calls": [
        call(8, 2, 3, "03-10 11:00", 240, "connected"),
        call(9, 2, 3, "03-10 11:40", 0, "no_answer"),
        call(10, 3, 4, "03-10 11:15", 300, "connected"),
        call(11, 3, 4, "03-03 10:20", 60, "connected"),
        call(12, 3, 4, "02-24 10:50", 0, "no_answer"),
    ],
    "deposit_attempts": [
        deposit(
            8, 3, 4, "400.00", "USD", "400.00", "wire", "Wire transfer", "approved", "03-10 11:30"
        ),
    ],
    "target_board_entries": [
        dict(
            id=2,
            am_id=4,
            deposit_id=8,
            amount_usd=money("400.00"),
            recorded_by_id=1,
            recorded_at=at("03-10 11:35"),
            created_at=at("03-10 11:35"),
            updated_at=at("03-10 11:35"),
        ),
        dict(
            id=3,
            am_id=2,
            deposit_id=1,
            amount_usd=money("200.00"),
            recorded_by_id=1,
            recorded_at=at("03-09 15:05"),
            created_at=at("03-09 15:05"),
            updated_at=at("03-09 15:05"),
        ),
    ],
}


def add_behind_cases(engine: sa.Engine) -> None:
    """Write the rows above into a CRM that already holds the small brokerage."""
    with engine.begin() as connection:
        for name, rows in EXTRA.items():
            for row in rows:
                connection.execute(sa.insert(T[name]).values(row))
        connection.execute(
            sa.update(T["leads"])
            .where(T["leads"].c.id == 1)
            .values(
                is_starred=True,
                starred_by_id=1,
                starred_at=at("03-10 07:55"),
                version=2,
                updated_at=at("03-10 07:55"),
            )
        )
