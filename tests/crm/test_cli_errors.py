"""``python -m crm`` on bad input: one line saying what is wrong and what to do, nothing written.

Each case runs the real command in a subprocess, as a user would, on a real database.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm.db import create_crm_engine
from crm.models import Lead
from tests.conftest import CLI_TIMEOUT_S, REPO_ROOT

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
    message = assert_one_line_error(run_crm(*command, url="postgresql://postgres@127.0.0.1:1/nope"))
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
        session.add(
            Lead(
                first_name="Lucía",
                last_name="Gómez",
                email="lucia@example.com",
                phone="+5491100000",
                country="AR",
                time_zone="America/Argentina/Buenos_Aires",
                language="es",
                source="facebook",
                registered_at=datetime(2026, 3, 1, 14, 0, tzinfo=timezone.utc),
            )
        )
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


# Issue 26: more bad input, for `python -m crm` and `python -m etl` alike.


def run_module(module: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``python -m <module> <args>`` as a user would run it, with ``env`` added."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )


BAD_PORT = "postgresql://postgres@127.0.0.1:notaport/x"


@pytest.mark.parametrize(
    "module, command", [("crm", "status"), ("crm", "init"), ("etl", "run")], ids=str
)
def test_a_port_that_is_not_a_number_is_one_line(module, command, tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    result = run_module(
        module, command, env={"CRM_DATABASE_URL": BAD_PORT, "WAREHOUSE_PATH": str(warehouse)}
    )
    message = assert_one_line_error(result)
    assert "port that is not a number" in message and "CRM_DATABASE_URL" in message
    assert list(tmp_path.iterdir()) == []


def test_a_password_in_a_url_that_does_not_parse_is_not_shown(run_crm):
    message = assert_one_line_error(run_crm("status", url="postgresql://ann:s3cret@h:port/x"))
    assert "s3cret" not in message and "ann:***@h:port/x" in message


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this user cannot write in: /sys for root (whom permissions do not stop)."""
    if os.geteuid() == 0:
        return Path("/sys")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


@pytest.fixture
def migrated_crm(tmp_path, migrated_sqlite_template) -> str:
    path = tmp_path / "crm.sqlite"
    shutil.copyfile(migrated_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.mark.parametrize("where", ["unwritable", "under-a-file", "under-proc", "a-file"])
def test_a_warehouse_path_that_cannot_be_written_is_one_line(where, tmp_path, migrated_crm):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a warehouse")
    path = {
        "unwritable": unwritable_folder(tmp_path) / "starboard" / "wh.duckdb",
        "under-a-file": a_file / "wh.duckdb",
        "under-proc": Path("/proc/starboard/wh.duckdb"),
        "a-file": a_file,
    }[where]
    before = sorted(tmp_path.rglob("*"))
    result = run_module(
        "etl", "run", env={"CRM_DATABASE_URL": migrated_crm, "WAREHOUSE_PATH": str(path)}
    )
    message = assert_one_line_error(result)
    assert str(path) in message and "WAREHOUSE_PATH" in message
    assert sorted(tmp_path.rglob("*")) == before
    assert a_file.read_text() == "not a warehouse"
    assert not Path(f"{path}.d").exists()


@pytest.mark.parametrize(
    "module, arguments, named",
    [
        ("etl", ("watch", "--every", "inf"), "--every"),
        ("crm", ("simulate", "--seconds", "inf", "--tick", "inf"), "--seconds"),
        ("crm", ("simulate", "--tick", "inf"), "--tick"),
        ("crm", ("simulate", "--rate", "1e12"), "--rate"),
        ("crm", ("demo", "--days", "3", "--until", "9999-12-31T23:59:59"), "--until"),
        ("crm", ("demo", "--until", "1970-01-03T00:00:00"), "--until"),
        ("crm", ("demo", "--days", "1000000000"), "--days"),
    ],
    ids=str,
)
def test_a_number_out_of_range_is_one_line_before_any_work(
    module, arguments, named, tmp_path, migrated_crm
):
    crm = Path(migrated_crm.removeprefix("sqlite:///"))
    before = crm.read_bytes()
    warehouse = tmp_path / "wh.duckdb"
    result = run_module(
        module, *arguments, env={"CRM_DATABASE_URL": migrated_crm, "WAREHOUSE_PATH": str(warehouse)}
    )
    message = assert_one_line_error(result)
    assert named in message
    assert crm.read_bytes() == before
    assert not warehouse.exists() and not Path(f"{warehouse}.d").exists()


@pytest.mark.parametrize(
    "module, arguments",
    [("crm", ("status",)), ("etl", ("run",)), ("crm", SMALL_DEMO), ("crm", ("init",))],
    ids=str,
)
def test_a_mistyped_sqlite_path_creates_no_folder_and_no_crm(module, arguments, tmp_path):
    typo = tmp_path / "typo" / "crm.sqlite"
    result = run_module(
        module,
        *arguments,
        env={"CRM_DATABASE_URL": f"sqlite:///{typo}", "WAREHOUSE_PATH": str(tmp_path / "wh")},
    )
    message = assert_one_line_error(result)
    assert str(typo.parent) in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "module, arguments", [("crm", ("status",)), ("etl", ("run",)), ("crm", SMALL_DEMO)], ids=str
)
def test_only_init_creates_a_crm_file(module, arguments, tmp_path):
    missing = tmp_path / "crm.sqlite"
    result = run_module(
        module,
        *arguments,
        env={"CRM_DATABASE_URL": f"sqlite:///{missing}", "WAREHOUSE_PATH": str(tmp_path / "wh")},
    )
    message = assert_one_line_error(result)
    assert "python -m crm init" in message
    assert list(tmp_path.iterdir()) == []
