"""What the browser and proxy tests share: a free port, the dashboard served for real
(``streamlit run dashboard_server.py``), Debian's nginx in front of it, and Chromium.

A missing nginx or Chromium skips a test, saying so, except in CI (``CI`` set), where it fails:
.ci/run installs both.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.nginx import Proxy, ProxySettings, nginx_path
from starboard_launcher import STREAMLIT_OPTIONS
from tests.etl.small_crm import AS_OF

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_S = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
            return reply.read() == b"ok"
    except OSError:
        return False


def small_crm_env(folder: Path, warehouse: Path, **extra: str) -> dict[str, str]:
    """The environment of a dashboard on the small CRM that ``build_warehouse`` put in
    ``folder``, read on its AS_OF day and moment, times in UTC; ``extra`` added."""
    return {
        "CRM_DATABASE_URL": f"sqlite:///{folder / 'crm.sqlite'}",
        "WAREHOUSE_PATH": str(warehouse),
        "STARBOARD_TODAY": AS_OF.date().isoformat(),
        "STARBOARD_NOW": AS_OF.isoformat(),
        "STARBOARD_TIME_ZONE": "UTC",
        **extra,
    }


def missing(what: str, install: str) -> None:
    message = f"no {what}: install it with `{install}`"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@contextlib.contextmanager
def dashboard(
    folder: Path, env: dict[str, str], options: dict[str, str] | None = None, port: int = 0
):
    """``streamlit run dashboard_server.py`` as ./start runs it, on ``port`` (default: a free
    one); yields (its URL, the path of its log)."""
    port = port or free_port()
    log_path = folder / f"streamlit-{port}.log"
    log = log_path.open("w+")
    options = {
        **STREAMLIT_OPTIONS,
        "server.port": str(port),
        **(options or {}),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard_server.py"]
        + [f"--{name}={value}" for name, value in options.items()],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while not answers(url):
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"streamlit did not start on {url}:\n{log.read()}", pytrace=False)
            time.sleep(0.5)
        yield url, log_path
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def nginx() -> str:
    found = nginx_path()
    if found is None:
        missing("nginx", "apt-get install nginx-light")
    return found


@contextlib.contextmanager
def proxy_for(nginx: str, folder: Path, *dashboard_urls: str) -> Iterator[Proxy]:
    """nginx on a free loopback port in front of the dashboards at ``dashboard_urls``."""
    ports = tuple(int(url.rsplit(":", 1)[1]) for url in dashboard_urls)
    settings = ProxySettings(listen_port=free_port(), upstream_ports=ports, folder=folder)
    with Proxy(settings, nginx) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).is_file():
        missing(f"Chromium at {CHROMIUM}", "apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
