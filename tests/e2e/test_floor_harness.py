"""The floor benchmark's own check (bench/floor.py): a self-refreshing view whose refresh breaks
or never answers is counted as an error, not as a view. Streamlit reports a fragment that raised
as a fragment run "finished successfully" with an exception element in it, so a harness that
only reads the run's status counts a broken live view as a good one (issue 27: at 1 M leads,
895 broken refreshes of Online advanced were counted as none).

The app served is a throwaway one (no CRM): one fragment refreshing itself every second, which
draws its rows in the page's run, raises at its first refresh and sleeps past the tab's timeout
at its second.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO_ROOT, SERVER_START_S, answers, free_port

sys.path.insert(0, str(REPO_ROOT / "bench"))

from floor import Tally, refresh  # noqa: E402
from floor_client import StreamlitTab  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

APP = """
import time

import streamlit as st


@st.fragment(run_every=1)
def live():
    runs = st.session_state["runs"] = st.session_state.get("runs", -1) + 1
    if runs == 1:
        raise RuntimeError("the live read broke")
    if runs == 2:
        time.sleep(4)
    st.write(f"rows of run {runs}")


live()
"""


def served(app: Path):
    """A streamlit server on ``app``, on a free port: started again on another port when the
    one picked was taken in between by another test worker's server (it exits at once)."""
    for _attempt in range(3):
        port = free_port()
        log = (app.parent / f"streamlit-{port}.log").open("w+")
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(app), f"--server.port={port}"]
            + ["--server.headless=true", "--browser.gatherUsageStats=false"]
            + ["--server.fileWatcherType=none"],
            cwd=app.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_START_S
        while not answers(url) and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.3)
        if answers(url):
            return server, url
        server.kill()
        server.wait(timeout=30)
        log.seek(0)
        output = log.read()
        if "already in use" not in output:
            break
    pytest.fail(f"streamlit did not start on {url}:\n{output}", pytrace=False)


async def two_refreshes(url: str) -> tuple[Tally, list[bool]]:
    tab = StreamlitTab(url, timeout=2.0)
    tally = Tally(counting=True)
    try:
        await tab.open()
        assert list(tab.fragments.values()) == [1.0]
        usable = [await refresh(tab, "live", tally) for _ in range(2)]
    finally:
        await tab.close()
    return tally, usable


def test_a_broken_or_silent_refresh_is_an_error(tmp_path):
    app = tmp_path / "live_app.py"
    app.write_text(APP)
    server, url = served(app)
    try:
        tally, usable = asyncio.run(two_refreshes(url))
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Refresh 1 raised: a view that finished, and an error. Refresh 2 slept 4 s past the tab's
    # 2 s: an error, no view, and the tab is to be opened again.
    assert usable == [True, False]
    assert len(tally.seconds["live"]) == 1
    assert tally.errors["live"] == [
        "the refresh showed an exception",
        "no script_finished within 2 s",
    ]
