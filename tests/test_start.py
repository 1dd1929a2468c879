"""./start: a fresh CRM gets the demo and a warehouse, a second start keeps both; every part
(ETL watch loop, simulator, dashboard) runs until Ctrl-C, which leaves no process behind."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm.db import create_crm_engine
from tests.conftest import REPO_ROOT


def start(crm_url: str, warehouse: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CRM_DATABASE_URL": crm_url, "WAREHOUSE_PATH": warehouse}
    return subprocess.run(
        [sys.executable, "starboard_launcher.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def lead_count(url: str) -> int:
    engine = create_crm_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT count(*) FROM leads")).scalar_one()
    finally:
        engine.dispose()


def test_first_start_builds_the_demo_and_the_warehouse_and_a_second_keeps_them(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    warehouse = tmp_path / "warehouse.duckdb"
    first = start(url, str(warehouse), "--setup-only", "--leads", "40", "--days", "5")
    assert first.returncode == 0, first.stderr
    assert lead_count(url) == 40
    assert warehouse.is_symlink() and warehouse.resolve().is_file()
    published = warehouse.resolve()
    # The demo's five sign-in accounts, one per role, each with its password, printed once.
    passwords = [line.split() for line in first.stdout.splitlines() if "password: " in line]
    assert [fields[0] for fields in passwords] == [
        "admin", "sales_manager", "lead_manager", "account_manager", "executive",
    ]  # fmt: skip
    assert all(len(fields[-1]) >= 16 for fields in passwords)

    second = start(url, str(warehouse), "--setup-only", "--leads", "99")
    assert second.returncode == 0, second.stderr
    assert lead_count(url) == 40  # the CRM that had leads was kept as it was
    assert "already holds 40 leads" in second.stdout
    assert "password" not in second.stdout
    assert warehouse.resolve() != published  # and the warehouse caught up with it again


def test_no_demo_leaves_an_empty_crm_empty(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    result = start(url, str(tmp_path / "warehouse.duckdb"), "--setup-only", "--no-demo")
    assert result.returncode == 0, result.stderr
    assert lead_count(url) == 0


# --- The running product: ./start runs every part until Ctrl-C, then nothing is left. ---

RUN_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_table() -> dict[int, tuple[int, int]]:
    """Every live process: pid → (parent pid, session id). Zombies count as gone."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked
        # The command name is in parentheses and may hold spaces: the fields follow the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":
            table[int(entry.name)] = (int(fields[1]), int(fields[3]))
    return table


def descendants(pid: int) -> set[int]:
    table = process_table()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, (parent, _sid) in table.items() if parent in frontier}
        found |= frontier
    return found


def left_behind(pids: set[int]) -> set[int]:
    """Those of ``pids`` still alive, and anything still in their sessions."""
    return {
        pid for pid, (_parent, session) in process_table().items() if pid in pids or session in pids
    }


def dashboard_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


def api_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


class Launcher:
    """./start in a terminal of its own: a process group, as a shell gives a foreground job."""

    def __init__(self, tmp_path: Path, *args: str, port: int | None = None):
        self.port = port or free_port()
        self.api_port = free_port()
        self.log = (tmp_path / f"start-{self.port}.log").open("w+")
        env = {
            **os.environ,
            "CRM_DATABASE_URL": f"sqlite:///{tmp_path / 'crm.sqlite'}",
            "WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
            "STARBOARD_PORT": str(self.port),
            "STARBOARD_API_PORT": str(self.api_port),
        }
        env.pop("STARBOARD_SIMULATOR", None)
        self.process = subprocess.Popen(
            [sys.executable, "starboard_launcher.py", *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def wait_until(self, condition, what: str) -> None:
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while not condition():
            assert self.process.poll() is None, f"./start exited before {what}:\n{self.output()}"
            assert time.monotonic() < deadline, f"no {what} in {RUN_TIMEOUT_S} s:\n{self.output()}"
            time.sleep(0.5)

    def children(self) -> dict[str, int]:
        """The running parts by what they run, e.g. 'etl watch' → pid."""
        parts = {}
        for pid in descendants(self.process.pid):
            try:
                command = (Path("/proc") / str(pid) / "cmdline").read_text().split("\0")
            except OSError:
                continue
            if command[1:2] == ["-m"]:
                parts[" ".join(command[2:4])] = pid
        return parts

    def stop(self, number: int = signal.SIGINT) -> int:
        # What Ctrl-C does: the signal goes to the terminal's whole foreground process group.
        os.killpg(self.process.pid, number)
        return self.process.wait(timeout=60)


@pytest.fixture
def launchers():
    started: list[Launcher] = []
    yield started
    for launcher in started:  # a failed test still leaves nothing running
        if launcher.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                launcher.stop(signal.SIGTERM)
        launcher.log.close()


@pytest.mark.e2e
def test_start_runs_every_part_and_ctrl_c_stops_them_all(tmp_path, launchers):
    first = Launcher(tmp_path, "--leads", "300", "--days", "5", "--etl-every", "5")
    launchers.append(first)
    first.wait_until(lambda: dashboard_answers(first.port), "dashboard answering HTTP")
    assert (tmp_path / "warehouse.duckdb").resolve().is_file()
    first.wait_until(lambda: len(first.children()) == 5, "five running parts")
    assert set(first.children()) == {
        "etl watch",
        "api --port",
        "crm distribution",
        "crm simulate",
        "streamlit run",
    }
    first.wait_until(lambda: api_answers(first.api_port), "ingest API answering /health")
    # Last, once the dashboard answers: where to open it and how to sign in.
    first.wait_until(lambda: "Starboard is ready" in first.output(), "the ready block")
    block = first.output().split("Starboard is ready", 1)[1]
    assert f"open http://localhost:{first.port} in a browser." in block
    roles = ["admin", "sales manager", "lead manager", "account manager", "executive"]
    assert [line[2:18].strip() for line in block.splitlines()[2:7]] == roles
    assert "`python -m crm demo-passwords` prints" in block
    assert "etl:" not in block.split("Ctrl-C stops every part.")[0]
    pids = descendants(first.process.pid)

    assert first.stop(signal.SIGINT) == 0
    output = first.output()
    assert "Traceback" not in output, output
    assert "starboard: stopped." in output
    assert left_behind(pids) == set(), output
    assert lead_count(f"sqlite:///{tmp_path / 'crm.sqlite'}") == 300

    # A second start reuses the CRM and the warehouse; the simulator can be turned off.
    second = Launcher(tmp_path, "--leads", "999", "--no-simulator", "--etl-every", "5")
    launchers.append(second)
    second.wait_until(lambda: dashboard_answers(second.port), "dashboard answering HTTP")
    second.wait_until(lambda: len(second.children()) == 4, "four running parts")
    parts = {"etl watch", "api --port", "crm distribution", "streamlit run"}
    assert set(second.children()) == parts
    output = second.output()
    assert "already holds 300 leads: keeping them" in output
    assert "etl: incremental run" in output and "etl: full run" not in output
    assert "simulator off" in output
    pids = descendants(second.process.pid)

    # A part that dies takes the others down with a line that names it.
    os.kill(second.children()["etl watch"], signal.SIGKILL)
    assert second.process.wait(timeout=60) == 1
    output = second.output()
    assert "starboard: the ETL watch loop stopped on its own (killed by SIGKILL)" in output
    assert "Traceback" not in output, output
    assert left_behind(pids) == set(), output


def commands(pids: set[int]) -> list[str]:
    found = []
    for pid in pids:
        with contextlib.suppress(OSError):
            found.append((Path("/proc") / str(pid) / "cmdline").read_text().replace("\0", " "))
    return found


@pytest.mark.e2e
def test_workers_run_behind_nginx_on_the_one_port_and_ctrl_c_stops_them(tmp_path, launchers):
    from deploy.nginx import nginx_path

    if nginx_path() is None:
        pytest.skip("no nginx: install it with `apt-get install nginx-light`")
    started = Launcher(
        tmp_path, "--leads", "300", "--days", "5", "--workers", "2", "--no-simulator", "--no-api"
    )
    launchers.append(started)
    started.wait_until(lambda: dashboard_answers(started.port), "the proxy answering HTTP")
    running = commands(descendants(started.process.pid))
    assert len([c for c in running if "streamlit run dashboard_server.py" in c]) == 2
    assert len([c for c in running if "--server.address=127.0.0.1" in c]) == 2
    assert [c for c in running if c.startswith("nginx: master")]
    with urllib.request.urlopen(f"http://127.0.0.1:{started.port}/") as answer:
        assert answer.headers["Server"] == "nginx"
        assert answer.headers["X-Frame-Options"] == "DENY"
    assert "(2 processes behind nginx)" in started.output()
    pids = descendants(started.process.pid)

    assert started.stop(signal.SIGINT) == 0
    output = started.output()
    assert "Traceback" not in output, output
    assert left_behind(pids) == set(), output


def test_without_nginx_one_process_and_one_line(monkeypatch):
    import argparse

    import deploy.nginx
    from starboard_launcher import plan_workers

    monkeypatch.setattr(deploy.nginx, "nginx_path", lambda: None)
    workers, line = plan_workers(argparse.Namespace(workers=3))
    assert workers is None
    assert line == (
        "starboard: no nginx (apt-get install nginx-light): one dashboard process instead of 3."
    )
    assert plan_workers(argparse.Namespace(workers=1)) == (None, None)
