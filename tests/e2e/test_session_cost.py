"""What a new session costs the server (issue 27, item 2): served as ./start serves it (the
repository's .streamlit/config.toml, no option of the tests' own), a session that opens, signs
in and opens again with its cookie starts no file watcher. Streamlit's default ("auto") put
inotify watches on every module the app imports for each new session, about 0.3 CPU-s each, the
larger part of a sign-in's cost (bench/HISTORY.md, Serving: sign-in).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crm import staff as accounts
from tests.e2e.conftest import dashboard, small_crm_env
from tests.e2e.streamlit_client import StreamlitClient
from tests.pages.conftest import build_warehouse

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ADMIN = ("ada@b.example", "ada's long password")


def add_admin(engine) -> None:
    accounts.add_staff(
        engine, actor_id=None, command_line=True, name="Ada Admin", email=ADMIN[0],
        role="admin", password=ADMIN[1],
    )  # fmt: skip


def server_pid(port: int) -> int:
    """The streamlit process serving ``port`` (started by ``dashboard``)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"dashboard_server.py" in command and f"--server.port={port}".encode() in command:
            return int(entry.name)
    raise AssertionError(f"no streamlit process serves port {port}")


def inotify_watchers(pid: int) -> int:
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += os.readlink(fd) == "anon_inode:inotify"
        except OSError:  # closed meanwhile
            continue
    return count


def test_sessions_that_sign_in_start_no_file_watcher(migrated_sqlite_template, tmp_path):
    warehouse = build_warehouse(migrated_sqlite_template, tmp_path, True, prepare=add_admin)
    env = small_crm_env(tmp_path, warehouse)
    # No options beyond the tests' usual ones: the file watcher is the repository's setting.
    with dashboard(tmp_path, env) as (url, _log):
        pid = server_pid(int(url.rsplit(":", 1)[1]))
        for _ in range(2):
            with StreamlitClient(url) as browser:
                redirect = browser.sign_in(*ADMIN).redirect()
                assert redirect is not None and redirect.startswith("/_starboard/session?code=")
                assert browser.follow(redirect).status == 303
                cookies = browser.cookies
            with StreamlitClient(url, cookies=cookies) as browser:
                assert "Sign in to Starboard" not in browser.run().texts()
        assert inotify_watchers(pid) == 0
