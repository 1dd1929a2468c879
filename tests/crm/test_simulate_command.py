"""``python -m crm simulate`` as a user runs it: for the seconds asked, and stopped by Ctrl-C
between ticks, on the small CRM of simulate_crm.py (SQLite)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm.db import create_crm_engine
from tests.crm.simulate_crm import START, T, build_crm, rows_of

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def small_sqlite_crm(tmp_path, request):
    path = tmp_path / "crm.sqlite"
    shutil.copyfile(request.getfixturevalue("migrated_sqlite_template"), path)
    url = f"sqlite:///{path}"
    engine = create_crm_engine(url)
    build_crm(engine)
    yield url, engine
    engine.dispose()


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.scalar(sa.select(sa.func.count()).select_from(T[table]))
            for table in ("leads", "platform_sessions", "calls", "deposit_attempts")
        }


def test_the_command_runs_for_the_seconds_asked_and_adds_rows(small_sqlite_crm, run_crm):
    url, engine = small_sqlite_crm
    before = counts(engine)
    result = run_crm(
        "simulate", "--seconds", "2", "--tick", "0.5", "--rate", "20", "--seed", "3", url=url
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("simulate: 20 events a second")
    assert lines[-1].startswith("simulate: ") and "online now" in lines[-1]
    after = counts(engine)
    assert after["platform_sessions"] > before["platform_sessions"]
    assert sum(after.values()) > sum(before.values())


def test_ctrl_c_stops_the_command_between_ticks(small_sqlite_crm):
    url, engine = small_sqlite_crm
    process = subprocess.Popen(
        [sys.executable, "-m", "crm", "simulate", "--tick", "0.2", "--rate", "200"],
        cwd=REPO_ROOT,
        env={**os.environ, "CRM_DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        assert first.startswith("simulate: "), process.communicate(timeout=30)
        # Interrupt once a tick has registered someone (a fixed wait was too short when the
        # machine is busy), so the check below has new leads to look at.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
            lead.registered_at > START for lead in rows_of(engine, "leads")
        ):
            time.sleep(0.2)
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert err.strip().splitlines() == ["stopped."]
    assert "online now" in out.strip().splitlines()[-1]
    # Whatever the last tick was doing, it finished: each new lead has its mail and session
    # (new since the CRM's last event: the simulator caught up the week before it first).
    leads = [lead.id for lead in rows_of(engine, "leads") if lead.registered_at > START]
    welcomed = [m.lead_id for m in rows_of(engine, "email_outbox") if m.template == "welcome"]
    sessions = {s.lead_id for s in rows_of(engine, "platform_sessions") if s.login_at > START}
    assert leads
    assert sorted(welcomed[-len(leads) :]) == leads and set(leads) <= sessions
