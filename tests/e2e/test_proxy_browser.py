"""The dashboard in Chromium through a real reverse proxy (issue 26, items 6-11; issue 22,
item 9): ``streamlit run dashboard_server.py`` and Debian's nginx (``deploy/nginx.py``) on free
loopback ports, the small hand-built CRM with a lead whose name is written as Markdown and a
formula. Ada (admin) signs in through the proxy; a reload and a new tab keep her signed in;
the Staff page offers Alan's own role first; no table offers Streamlit's own download; the
page's export is safe; signing out ends the session for every tab.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm import auth
from crm import staff as accounts
from crm.db import create_crm_engine
from tests.e2e.conftest import dashboard, proxy_for, small_crm_env
from tests.pages.conftest import build_warehouse

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ADMIN = ("ada@b.example", "ada's long password")
EVIL_NAME = ('=HYPERLINK("https://evil.example","x")', "[login](https://evil.example)")
PAGE_RUN_MS = 60_000
VIEWPORT = {"width": 1440, "height": 1000}


def prepare(engine: sa.Engine) -> None:
    accounts.add_staff(
        engine, actor_id=None, command_line=True, name="Ada Admin", email=ADMIN[0],
        role="admin", password=ADMIN[1],
    )  # fmt: skip
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE leads SET first_name = :first, last_name = :last WHERE id = 2"),
            {"first": EVIL_NAME[0], "last": EVIL_NAME[1]},
        )


@pytest.fixture(scope="module")
def site(migrated_sqlite_template, tmp_path_factory, nginx, chromium):
    folder = tmp_path_factory.mktemp("proxy_browser")
    warehouse = build_warehouse(migrated_sqlite_template, folder, True, prepare=prepare)
    env = small_crm_env(folder, warehouse, STARBOARD_TRUST_FORWARDED_FOR="1")
    with dashboard(folder, env) as (app, _), proxy_for(nginx, folder / "nginx", app) as proxy:
        yield proxy.url, env["CRM_DATABASE_URL"]


@pytest.fixture
def context(chromium):
    context = chromium.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.problems = []
    yield context
    context.close()


def open_tab(context):
    page = context.new_page()
    page.on("pageerror", lambda error: context.problems.append(str(error)))
    # A Content-Security-Policy refusal is reported on the console.
    page.on(
        "console",
        lambda message: (
            context.problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return page


def wait_for_app_run(page) -> None:
    from playwright.sync_api import expect

    app = page.locator("[data-testid='stApp']")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=PAGE_RUN_MS)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=PAGE_RUN_MS)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=PAGE_RUN_MS)


def heading(page) -> str:
    return page.get_by_role("heading", level=1).first.inner_text()


def shows(page, title: str) -> None:
    """Wait until the page's title is ``title`` (a run started by a click or a reload may
    begin a moment after the last one finished)."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", level=1).first).to_have_text(title, timeout=PAGE_RUN_MS)
    wait_for_app_run(page)


def signed_in_as_ada(page) -> bool:
    wait_for_app_run(page)
    return page.get_by_role("button", name="Sign out").count() == 1


def test_sign_in_through_the_proxy_survives_a_reload_and_a_new_tab(site, context):
    url, crm_url = site
    page = open_tab(context)
    page.goto(f"{url}/staff")
    # The fresh server's first run of a page's URL may draw its title before the router takes
    # over (tests/e2e/test_browser.py).
    shows(page, "Sign in to Starboard")
    page.get_by_label("Email").fill(ADMIN[0])
    page.get_by_label("Password", exact=True).fill(ADMIN[1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for(timeout=PAGE_RUN_MS)
    wait_for_app_run(page)
    assert page.url == f"{url}/staff"  # back on the page asked for, the code gone from the URL
    assert heading(page) == "Staff"
    cookie = next(c for c in context.cookies() if c["name"] == "starboard_session")
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")

    # Item 6: counted under the proxy's forwarded address (the browser's: 127.0.0.1).
    engine = create_crm_engine(crm_url)
    try:
        assert [(a.address, a.outcome) for a in auth.attempts(engine, ADMIN[0])] == [
            ("127.0.0.1", "signed_in")
        ]
    finally:
        engine.dispose()

    # Item 11: Alan's form starts from his own role.
    page.get_by_test_id("stSelectbox").filter(has_text="Change the account of").click()
    page.get_by_role("option", name="Alan Ames <alan@b.example>").click()
    wait_for_app_run(page)
    role = page.get_by_test_id("stSelectbox").filter(has_text="Role").nth(1)
    # The chosen option is the value of the box's input. Waited for: under load the run that
    # draws Alan's form can end after the page first reads idle, showing the form as it was.
    from playwright.sync_api import expect

    expect(role.locator("input")).to_have_value("account manager", timeout=PAGE_RUN_MS)

    page.reload()
    shows(page, "Staff")
    assert signed_in_as_ada(page)
    second = open_tab(context)
    second.goto(f"{url}/all_leads")
    shows(second, "All leads")
    assert signed_in_as_ada(second)

    # Items 9 and 10 on All leads: no download control of Streamlit's own; the export is safe;
    # the Markdown in the name made no link or image.
    second.get_by_test_id("stDataFrame").first.hover()
    toolbar = second.get_by_test_id("stElementToolbar").first
    assert toolbar.get_by_role("button", name="Download as CSV").count() == 0
    with second.expect_download() as download:
        second.get_by_role("button", name="Export CSV").first.click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    names = [row[rows[0].index("Lead")] for row in rows[1:]]
    assert f"'{EVIL_NAME[0]} {EVIL_NAME[1]}" in names
    assert not [cell for row in rows for cell in row if cell.startswith(("=", "+", "@"))]
    assert second.locator("a[href*='evil.example'], img[src*='evil.example']").count() == 0

    # Signing out in one tab ends the session on the server: the other tab's next click, and
    # a reload, show the sign-in page.
    second.get_by_role("button", name="Sign out").click()
    shows(second, "Sign in to Starboard")
    page.reload()
    shows(page, "Sign in to Starboard")
    assert context.problems == []
