"""``python -m crm simulate --via-api``: the AMs' calls reach the CRM through the ingest API as
a dialer reports them, and follow the AMs' shifts as the direct simulator's do.

The API runs in this process (FastAPI's test client) on the small CRM of test_simulate.py, on
a fixed clock; SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from fastapi.testclient import TestClient

from api.app import create_app
from crm.demo.simulate_api import KINDS, _credentials, _Sender, _tick
from tests.crm.test_simulate import START, assert_a_working_day_of_calls, brokerage  # noqa: F401


def test_via_the_api_an_am_calls_one_lead_at_a_time_in_the_shift(brokerage):  # noqa: F811
    engine, crm = brokerage
    keys = {kind: _credentials(engine, kind, name) for kind, name in KINDS.items()}
    rng = np.random.default_rng(11)
    # Monday 2 March 2026, 00:00 to 20:00 UTC, in 5-minute ticks; no other events (rate 0).
    midnight = START - timedelta(hours=9)
    sent = 0
    with TestClient(create_app(engine)) as client, engine.connect() as connection:
        sender = _Sender(client, keys)
        for tick in range(1, 241):
            with connection.begin():
                done = _tick(
                    connection,
                    rng,
                    sender,
                    {},
                    0.0,
                    300.0,
                    now=midnight + tick * timedelta(minutes=5),
                )
            assert set(done) <= {"calls"}, done
            sent += done["calls"]
    assert sent > 100
    assert_a_working_day_of_calls(engine, crm, midnight)
