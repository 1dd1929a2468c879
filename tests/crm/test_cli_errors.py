"""``python -m crm`` on bad input: one line saying what is wrong and what to do, nothing written.

Each case runs the real command in a subprocess, as a user would, on a real database.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm.db import create_crm_engine
from crm.models import Lead

SMALL_DEMO = ("demo", "--leads", "10", "--days", "3")


def assert_one_line_error(result) -> str:
    """The command failed with exactly one ``error:`` line and wrote nothing else."""
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    assert result.stdout == ""
    return lines[0]


def table_names(url: str) -> set[str]:
    engine = create_crm_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def count_leads(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(Lead))


@pytest.mark.parametrize("command", [("init",), ("status",), SMALL_DEMO])
@pytest.mark.parametrize(
    "url",
    ["not a url", "mysql://x/y", "sqlite://", "postgresql://127.0.0.1/"],
    ids=["not-a-url", "mysql", "in-memory", "no-database-name"],
)
def test_a_malformed_database_url_is_one_line(run_crm, url, command):
    message = assert_one_line_error(run_crm(*command, url=url))
    assert "CRM_DATABASE_URL" in message


@pytest.mark.parametrize("command", [("init",), ("status",), SMALL_DEMO])
def test_an_unreachable_server_is_one_line(run_crm, command):
    message = assert_one_line_error(
        run_crm(*command, url="postgresql://postgres@127.0.0.1:1/nope")
    )
    assert "cannot reach the CRM" in message


@pytest.mark.parametrize(
    "command", [SMALL_DEMO, ("simulate", "--seconds", "1")], ids=["demo", "simulate"]
)
def test_a_database_behind_on_migrations_is_refused(run_crm, crm_url, command):
    message = assert_one_line_error(run_crm(*command, url=crm_url))
    assert "python -m crm init" in message
    assert table_names(crm_url) == set()


@pytest.mark.parametrize(
    "arguments",
    [("--leads", "0"), ("--leads", "-3"), ("--days", "0"), ("--leads", "abc")],
    ids=["no-leads", "negative-leads", "no-days", "leads-not-a-number"],
)
def test_a_bad_demo_size_is_one_line(run_crm, crm_engine, arguments):
    message = assert_one_line_error(run_crm("demo", *arguments, url=crm_engine.url))
    assert arguments[0] in message
    assert count_leads(crm_engine) == 0


@pytest.fixture
def crm_with_a_lead(crm_engine) -> sa.Engine:
    with Session(crm_engine) as session:
        session.add(Lead(
            first_name="Lucía", last_name="Gómez", email="lucia@example.com", phone="+5491100000",
            country="AR", time_zone="America/Argentina/Buenos_Aires", language="es",
            source="facebook", registered_at=datetime(2026, 3, 1, 14, 0, tzinfo=timezone.utc),
        ))
        session.commit()
    return crm_engine


def test_the_demo_refuses_a_crm_that_holds_leads(run_crm, crm_with_a_lead):
    message = assert_one_line_error(run_crm(*SMALL_DEMO, url=crm_with_a_lead.url))
    assert "already holds 1 leads" in message
    assert count_leads(crm_with_a_lead) == 1


def test_the_demo_if_empty_keeps_a_crm_that_holds_leads(run_crm, crm_with_a_lead):
    result = run_crm(*SMALL_DEMO, "--if-empty", url=crm_with_a_lead.url)
    assert result.returncode == 0, result.stderr
    assert "keeping them" in result.stdout
    assert count_leads(crm_with_a_lead) == 1


def test_init_twice_says_up_to_date(run_crm, crm_url):
    first = run_crm("init", url=crm_url)
    assert first.returncode == 0, first.stderr
    assert "upgraded from empty" in first.stdout

    second = run_crm("init", url=crm_url)
    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stdout
    assert second.stderr == ""


def test_status_of_a_migrated_crm(run_crm, crm_engine):
    result = run_crm("status", url=crm_engine.url)
    assert result.returncode == 0, result.stderr
    assert "leads: 0" in result.stdout
