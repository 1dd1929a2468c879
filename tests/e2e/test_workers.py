"""Two dashboard processes behind Debian's nginx, as ``./start --workers 2`` runs them (issue
27, item 3): each browser keeps to its process across clicks and reloads, a signed-in session
is good on either process, every answer carries the security headers, and the sign-in limit
counts each client by its own address whichever process it lands on.

Real servers on free loopback ports, the worker settings ./start gives them
(``starboard_launcher.plan_workers``), and clients that speak Streamlit's protocol from
addresses of their own (127.0.0.x), so the proxy's access log tells who went where.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import re
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm import staff as accounts
from crm.db import create_crm_engine
from crm.models import SignInAttempt
from deploy.nginx import WORKER_COOKIE
from starboard_launcher import plan_workers
from tests.e2e.conftest import dashboard, proxy_for, small_crm_env
from tests.e2e.streamlit_client import StreamlitClient
from tests.pages.conftest import build_warehouse

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ADMIN = ("ada@b.example", "ada's long password")
ATTEMPTS = SignInAttempt.__table__
# Enough browsers that both processes get some: each lands on one of two by a random key, so
# all twelve on one process happens once in 2,048 runs (and the test says so if it does).
BROWSERS = [f"127.0.0.{20 + number}" for number in range(12)]


@dataclass(frozen=True)
class Floor:
    workers: tuple[str, str]  # the two dashboard processes
    proxy: str
    access_log: Path
    crm: sa.Engine


def add_admin(engine: sa.Engine) -> None:
    accounts.add_staff(
        engine, actor_id=None, command_line=True, name="Ada Admin", email=ADMIN[0],
        role="admin", password=ADMIN[1],
    )  # fmt: skip


@pytest.fixture(scope="module")
def floor(migrated_sqlite_template, tmp_path_factory, nginx) -> Floor:
    folder = tmp_path_factory.mktemp("workers")
    warehouse = build_warehouse(migrated_sqlite_template, folder, True, prepare=add_admin)
    workers, alone = plan_workers(argparse.Namespace(workers=2))
    assert alone is None and workers is not None
    env = small_crm_env(folder, warehouse, **dict(workers.env))
    options = {"server.address": "127.0.0.1"}
    engine = create_crm_engine(env["CRM_DATABASE_URL"])
    with contextlib.ExitStack() as stack:
        first, _ = stack.enter_context(dashboard(folder, env, options, workers.ports[0]))
        second, _ = stack.enter_context(dashboard(folder, env, options, workers.ports[1]))
        proxy = stack.enter_context(proxy_for(nginx, folder / "nginx", first, second))
        yield Floor((first, second), proxy.url, folder / "nginx" / "access.log", engine)
    engine.dispose()


def first_visit(url: str, source: str) -> dict[str, str]:
    """What a browser's first GET of the page leaves it: the proxy's worker cookie."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), source_address=(source, 0))
    connection.request("GET", "/")
    response = connection.getresponse()
    response.read()
    connection.close()
    cookies = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        cookies[name.strip()] = rest.split(";")[0]
    return cookies


def upstreams_by_client(access_log: Path) -> dict[str, set[str]]:
    """Each client address → the dashboard processes (host:port) that answered it."""
    seen = defaultdict(set)
    for line in access_log.read_text().splitlines():
        match = re.match(r"(\S+) \[.*\] \".*\" \d+ (\S+)$", line)
        if match and match[2] != "-":
            seen[match[1]].add(match[2])
    return dict(seen)


def test_a_browser_keeps_to_its_process_across_clicks_and_reloads(floor):
    for source in BROWSERS:
        cookies = first_visit(floor.proxy, source)
        assert set(cookies) == {WORKER_COOKIE}
        with StreamlitClient(floor.proxy, source=source, cookies=cookies) as browser:
            first = browser.run()
            browser.run()  # a click
            session_id = first.session_id()
        # A reload: the page again, then a websocket that asks to resume the session. Only
        # the process that holds the session can resume it.
        assert first_visit_with(floor.proxy, source, cookies) == {}  # no new cookie
        with StreamlitClient(
            floor.proxy, source=source, cookies=cookies, resume=session_id
        ) as reloaded:
            again = reloaded.run()
        assert "Sign in to Starboard" in again.texts()
        assert again.session_id() == session_id
    seen = upstreams_by_client(floor.access_log)
    ports = {worker.removeprefix("http://") for worker in floor.workers}
    for source in BROWSERS:
        assert len(seen[source]) == 1, f"{source} went to {seen[source]}"
    used = set().union(*(seen[source] for source in BROWSERS))
    assert used == ports, f"all {len(BROWSERS)} browsers on {used} (once in 2,048 runs)"


def first_visit_with(url: str, source: str, cookies: dict[str, str]) -> dict[str, str]:
    """A reload's GET of the page with the browser's cookies: the cookies the answer sets."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), source_address=(source, 0))
    connection.request("GET", "/", headers={"Cookie": f"{WORKER_COOKIE}={cookies[WORKER_COOKIE]}"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return {
        header.partition("=")[0].strip(): header
        for header in response.headers.get_all("Set-Cookie") or []
        if header.startswith(WORKER_COOKIE)
    }


def test_a_signed_in_session_is_good_on_either_process(floor):
    source = "127.0.0.40"
    cookies = first_visit(floor.proxy, source)
    with StreamlitClient(floor.proxy, source=source, cookies=cookies) as browser:
        redirect = browser.sign_in(*ADMIN).redirect()
        assert browser.follow(redirect).status == 303
        session = {"starboard_session": browser.cookies["starboard_session"]}
    for worker in floor.workers:
        with StreamlitClient(worker, cookies=session) as straight:
            assert "Staff" in straight.run("staff").texts()


def test_every_answer_through_the_proxy_carries_the_headers(floor):
    with urllib.request.urlopen(f"{floor.proxy}/") as answer:
        headers = answer.headers
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Server"] == "nginx"  # no version, and not the workers' uvicorn
    assert headers.get_all("X-Frame-Options") == ["DENY"]  # the proxy's, not twice
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{floor.proxy}/_stcore/metrics")
    assert refused.value.code == 404


def test_the_sign_in_limit_counts_each_client_by_its_own_address(floor):
    """Wrong passwords from clients on either process, each writing a forged X-Forwarded-For:
    every attempt is stored under the client's own address."""
    emails = {}
    for number, source in enumerate(BROWSERS[:6]):
        email = f"guess{number}@b.example"
        cookies = first_visit(floor.proxy, source)
        with StreamlitClient(
            floor.proxy, source=source, cookies=cookies, headers={"X-Forwarded-For": "10.9.9.9"}
        ) as browser:
            run = browser.sign_in(email, "a wrong guess")
        assert "wrong email or password." in run.texts()
        emails[email] = source
    with floor.crm.connect() as connection:
        stored = dict(
            connection.execute(
                sa.select(ATTEMPTS.c.email, ATTEMPTS.c.address).where(
                    ATTEMPTS.c.email.in_(list(emails))
                )
            ).all()
        )
    assert stored == emails
