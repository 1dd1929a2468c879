"""Eight processes registering leads at once into one pool (issue 25): every lead assigned
exactly once, no cap exceeded, the rotation within one. Real processes, each with its own
connection, on SQLite and PostgreSQL: nothing is mocked or slowed down."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.crm.distribution_floor import T, add_staff, rule, shifts

REPO = Path(__file__).resolve().parents[2]
PROCESSES = 8
EACH = 15


@pytest.mark.slow
# No cap; 20 new leads a day each; 20 open leads each (read from the counts the database keeps
# as leads change, migration 0011).
@pytest.mark.parametrize(
    "caps", [{}, {"daily_cap": 20}, {"open_cap": 20}], ids=["none", "day", "open"]
)
def test_eight_processes_registering_at_once_share_one_pool_fairly(crm_engine, caps, tmp_path):
    ams = [add_staff(crm_engine, name) for name in ("Ana", "Ben", "Cleo", "Dev", "Eli")]
    for am in ams:
        shifts(crm_engine, am)
    rule(crm_engine, "All", dict.fromkeys(ams, 1), **caps)
    url = crm_engine.url.render_as_string(hide_password=False)
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.crm.distribution_worker", url, str(n), str(tmp_path),
             str(EACH)],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]  # fmt: skip
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready-*"))) < PROCESSES and time.monotonic() < deadline:
        if any(worker.poll() is not None for worker in workers):
            break
        time.sleep(0.01)
    (tmp_path / "go").touch()  # all eight at once
    failures = []
    for worker in workers:
        _, errors = worker.communicate(timeout=300)
        if worker.returncode != 0:
            failures.append(errors.strip().splitlines()[-1:] or [f"exit {worker.returncode}"])
    assert failures == []

    with crm_engine.connect() as connection:
        leads = connection.execute(sa.select(T["leads"].c.id, T["leads"].c.am_id)).all()
        auto = connection.execute(
            sa.select(T["assignments"].c.lead_id, T["assignments"].c.to_am_id)
        ).all()
        waiting = connection.execute(sa.select(T["distribution_waiting"])).all()
    assert len(leads) == PROCESSES * EACH == 120
    # Each lead assigned at most once, and its owner is the AM of that one assignment.
    assert len({lead_id for lead_id, _ in auto}) == len(auto)
    owner = dict(leads)
    assert all(owner[lead_id] == am for lead_id, am in auto)
    counts = Counter(am for _, am in auto)
    if not caps:
        # 120 leads over 5 equal AMs: 24 each, exactly.
        assert len(auto) == 120 and waiting == []
        assert sorted(counts.values()) == [24] * 5
    else:
        # The caps hold 100 leads; the other 20 wait, every one of them at cap.
        assert sorted(counts.values()) == [20] * 5
        assert len(waiting) == 20 and {w.reason for w in waiting} == {"all_at_cap"}
        assert {w.lead_id for w in waiting} == {i for i, am in leads if am is None}
    with crm_engine.connect() as connection:
        kept = dict(connection.execute(sa.select(T["am_open_leads"])).all())
    # Every lead assigned is open (status assigned, no deposit): the kept counts are the AMs'.
    assert {am: n for am, n in kept.items() if n} == dict(counts)
