"""The small brokerage (tests/etl/small_crm.py) on a floor in Asia/Nicosia (UTC+2 in March),
with the staff changes of issue 23, items 2 and 5.

Built on top of small_crm, so every value worked out from small_crm still holds. New rows:

- call 8: Bea (3) calls Ben (lead 2) at 03-09 21:30 UTC, connected 240 s: 23:30 in Nicosia,
  still 03-09 there.
- call 9: Alan (2) calls Ana (lead 1) at 03-09 22:30 UTC, connected 60 s: 00:30 on 03-10 in
  Nicosia, so the floor's 03-10 (UTC's 03-09).

And through the staff actions (crm/staff.py), which keep staff_history:

- Bea moves from Conversion A (1) to Retention B (2, retention desk) at 03-09 23:00 UTC
  (03-10 01:00 in Nicosia): the floor's 03-09 is still Conversion A's, 03-10 Retention B's.
- Alan is made a sales manager at 03-10 09:00 UTC (11:00 in Nicosia), after his 08:00 call:
  his 03-10 is still an AM's day, in Conversion A.
- Cid is deactivated at 03-10 11:00 UTC.

Calls by the floor's day (Nicosia), small_crm's 1-6 with these (7 is quarantined):
- 03-08: 1 (Alan, connected 300 s).
- 03-09: 2 (Alan, connected 120 s), 3 (Bea, no answer), 8 (Bea, connected 240 s).
- 03-10: 4 (Bea, busy), 5 (Cid, connected 600 s), 6 (Alan, voicemail), 9 (Alan, connected 60 s).
"""

from __future__ import annotations

import sqlalchemy as sa

from crm import staff
from tests.etl.small_crm import T, at, build_small_crm, call

FLOOR_ZONE = "Asia/Nicosia"
EXTRA_CALLS = [
    call(8, 2, 3, "03-09 21:30", 240, "connected"),
    call(9, 1, 2, "03-09 22:30", 60, "connected"),
]


def add_floor_calls(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        for row in EXTRA_CALLS:
            connection.execute(sa.insert(T["calls"]).values(row))
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('calls', 'id'), max(id)) FROM calls"
            )


def change_staff(engine: sa.Engine) -> None:
    """Bea's move, Alan's promotion and Cid's leaving, through the staff actions."""
    by = dict(actor_id=None, command_line=True)
    staff.set_role(
        engine,
        staff_id=3,
        role="account_manager",
        desk="retention",
        team_id=2,
        now=at("03-09 23:00"),
        **by,
    )
    staff.set_role(engine, staff_id=2, role="sales_manager", now=at("03-10 09:00"), **by)
    staff.set_active(engine, staff_id=4, active=False, now=at("03-10 11:00"), **by)


def build_floor_crm(engine: sa.Engine) -> None:
    """The small brokerage, the two late calls and the staff changes above."""
    build_small_crm(engine)
    add_floor_calls(engine)
    change_staff(engine)
