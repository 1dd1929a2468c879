"""``python -m crm staff ...`` and ``demo-passwords``: a password comes from stdin or a prompt,
never from the command line; only its hash is stored; mistakes are one line. SQLite and
PostgreSQL, through the real command."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from crm import auth
from crm.models import Base
from tests.conftest import CLI_TIMEOUT_S, REPO_ROOT
from tests.crm.test_cli_errors import assert_one_line_error

T = Base.metadata.tables
PASSWORD = "a long enough password"


def crm_command(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crm", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "CRM_DATABASE_URL": url},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )


@pytest.fixture
def url(crm_engine) -> str:
    with crm_engine.begin() as connection:
        connection.execute(T["teams"].insert().values(id=1, name="Conversion A", desk="conversion"))
    return crm_engine.url.render_as_string(hide_password=False)


def test_staff_add_takes_the_password_from_stdin_and_stores_its_hash(url, crm_engine):
    added = crm_command(
        url, "staff", "add", "--name", "Alan Ames", "--email", "Alan@B.example",
        "--role", "account_manager", "--desk", "conversion", "--team", "Conversion A",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout == "Alan Ames added as an account manager (staff 1).\n"
    with crm_engine.connect() as connection:
        row = connection.execute(sa.select(T["staff"])).one()
    assert (row.email, row.role, row.desk, row.team_id) == (
        "alan@b.example", "account_manager", "conversion", 1,
    )  # fmt: skip
    # No zone asked for, none set: Alan sees times in his browser's zone.
    assert row.time_zone is None
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    assert auth.sign_in(crm_engine, "alan@b.example", PASSWORD, address="test").staff_id == 1

    changed = crm_command(
        url,
        "staff",
        "set-password",
        "alan@b.example",
        "--password-stdin",
        stdin="another long one\n",
    )
    assert changed.stdout == "Alan Ames's password is set.\n"
    assert auth.sign_in(crm_engine, "alan@b.example", "another long one", address="t").staff_id == 1

    listed = crm_command(url, "staff", "list")
    assert listed.stdout == (
        "    1  alan@b.example                           account_manager conversion "
        "(Conversion A), active: Alan Ames\n"
    )
    off = crm_command(url, "staff", "deactivate", "alan@b.example")
    assert off.stdout == "Alan Ames is deactivated.\n"


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        # No terminal to ask on, and no --password-stdin: refused, never read from argv.
        (("staff", "add", "--name", "A", "--email", "a@b.example", "--role", "admin"), None,
         "no terminal to ask the password on"),
        (("staff", "add", "--name", "A", "--email", "a@b.example", "--role", "admin",
          "--password", PASSWORD), None, "unrecognized arguments: --password"),
        (("staff", "add", "--name", "A", "--email", "a@b.example", "--role", "boss",
          "--password-stdin"), PASSWORD, "'boss' is not a role"),
        (("staff", "add", "--name", "A", "--email", "a@b.example", "--role", "admin",
          "--password-stdin"), "short\n", "shorter than 10 characters"),
        (("staff", "add", "--name", "A", "--email", "a@b.example", "--role", "account_manager",
          "--no-password"), None, "an account manager works on a desk"),
        (("staff", "set-password", "nobody@b.example", "--password-stdin"), PASSWORD,
         "there is no staff account 'nobody@b.example'"),
        (("demo-passwords",), None, "was not made by `python -m crm demo`"),
        (("staff", "add", "--name", "A", "--email", "a@b.example", "--role", "admin",
          "--time-zone", "Mars/Olympus", "--no-password"), None,
         "'Mars/Olympus' is not a time zone"),
    ],
)  # fmt: skip
def test_staff_mistakes_are_one_line_and_write_nothing(url, crm_engine, args, stdin, says):
    message = assert_one_line_error(crm_command(url, *args, stdin=stdin))
    assert says in message
    with crm_engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(T["staff"])) == 0


def test_staff_add_keeps_the_zone_given(url, crm_engine):
    added = crm_command(
        url, "staff", "add", "--name", "Ines Ito", "--email", "ines@b.example",
        "--role", "sales_manager", "--time-zone", "Asia/Tokyo", "--no-password",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    with crm_engine.connect() as connection:
        assert connection.scalar(sa.select(T["staff"].c.time_zone)) == "Asia/Tokyo"
