"""Live reads (crm/live.py) on the small hand-built CRM (tests/etl/small_crm.py), SQLite and
PostgreSQL.

Hand-worked: Ana Lima (lead 1, Alan Ames's, team Conversion A, 500.00 BRL at 0.20 USD) has one
open session, logged in at 03-10 11:50 and seen at 11:58: online while "now" is at most 5
minutes after, i.e. until 12:03:00. Cara's open session was last seen on 03-09; every other
session is logged out.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm import live
from tests.etl.small_crm import AS_OF, T, build_small_crm, dans_declined_card, session

UTC = timezone.utc


def test_who_is_online_now_from_the_crm(crm_engine):
    build_small_crm(crm_engine)
    online = live.online_leads(crm_engine, AS_OF + timedelta(minutes=2, seconds=30)).to_pylist()
    assert [row["lead_name"] for row in online] == ["Ana Lima"]
    ana = online[0]
    assert ana["online_since"] == datetime(2026, 3, 10, 11, 50, tzinfo=UTC)
    assert ana["last_seen_at"] == datetime(2026, 3, 10, 11, 58, tzinfo=UTC)
    assert (ana["am_name"], ana["team_id"], ana["team_name"]) == ("Alan Ames", 1, "Conversion A")
    assert (ana["balance"], ana["currency"], ana["usd_rate"]) == (
        Decimal("500.00"),
        "BRL",
        Decimal("0.20000000"),
    )
    # 12:03:00 is the last moment 11:58 is within 5 minutes.
    assert live.online_leads(crm_engine, datetime(2026, 3, 10, 12, 3, tzinfo=UTC)).num_rows == 1
    later = datetime(2026, 3, 10, 12, 3, 1, tzinfo=UTC)
    assert live.online_leads(crm_engine, later).num_rows == 0
    assert live.online_leads(crm_engine, later).schema == live.ONLINE_SCHEMA


def test_a_login_shows_with_the_earliest_open_login_as_since(crm_engine):
    build_small_crm(crm_engine)
    with crm_engine.begin() as connection:
        # Ana logs in a second time at 12:01 (another device); Dan logs in at 12:02.
        connection.execute(
            sa.insert(T["platform_sessions"]),
            [
                session(20, 1, "03-10 12:01", "03-10 12:02", None),
                session(21, 4, "03-10 12:02", "03-10 12:02", None),
            ],
        )
    online = live.online_leads(crm_engine, datetime(2026, 3, 10, 12, 4, tzinfo=UTC))
    by_name = {row["lead_name"]: row for row in online.to_pylist()}
    assert sorted(by_name) == ["Ana Lima", "Dan Saleh"]
    # Ana's 11:50 session was seen at 11:58 (more than 5 minutes before 12:04): since 12:01.
    assert by_name["Ana Lima"]["online_since"] == datetime(2026, 3, 10, 12, 1, tzinfo=UTC)
    assert by_name["Dan Saleh"]["am_id"] is None


def test_the_deposit_attempts_changed_since(crm_engine):
    build_small_crm(crm_engine)
    with crm_engine.begin() as connection:
        connection.execute(
            sa.insert(T["deposit_attempts"]),
            [
                # Dan's declined card at 12:01; a zero amount the ETL would quarantine.
                dans_declined_card(30, "03-10 12:01"),
                dans_declined_card(31, "03-10 12:01", amount="0.00"),
            ],
        )
    changed = live.payments_since(crm_engine, AS_OF).to_pylist()
    assert [row["deposit_id"] for row in changed] == [30]
    dan = changed[0]
    assert (dan["lead_name"], dan["am_name"], dan["status"], dan["decline_reason"]) == (
        "Dan Saleh",
        None,
        "declined",
        "insufficient_funds",
    )
    assert (dan["amount"], dan["amount_usd"]) == (Decimal("80.00"), Decimal("80.00"))
    assert dan["created_at"] == datetime(2026, 3, 10, 12, 1, tzinfo=UTC)
    assert live.payments_since(crm_engine, AS_OF + timedelta(minutes=2)).num_rows == 0


def test_shared_reads_read_once_per_tick_for_every_thread():
    reads = live.SharedReads(tick=0.5)
    calls = []
    started = threading.Barrier(8)

    def compute():
        calls.append(1)
        time.sleep(0.2)  # a read long enough for the other threads to arrive meanwhile
        return len(calls)

    results = []

    def ask():
        started.wait()
        results.append(reads.get("online", compute)[0])

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [1] * 8
    assert reads.get("online", compute)[0] == 1  # within the tick: the same read
    time.sleep(0.6)
    assert reads.get("online", compute)[0] == 2  # a tick later: read again
    assert reads.get("payments", compute)[0] == 3  # another key: its own read


def test_a_failed_read_is_not_kept():
    reads = live.SharedReads(tick=10)
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise sa.exc.OperationalError("select", {}, Exception("the CRM went away"))
        return "rows"

    with pytest.raises(sa.exc.OperationalError):
        reads.get("online", flaky)
    assert reads.get("online", flaky)[0] == "rows"
    assert len(attempts) == 2
