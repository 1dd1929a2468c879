"""The dashboard in a real browser: the Streamlit server on a free port, headless Chromium.

The warehouse is the one the ETL builds from the small hand-built CRM (tests/etl/small_crm.py),
read on its AS_OF day; Ada, an admin added here, signs in. Every page of
``dashboard.navigation.PAGES`` is opened by its URL (what a bookmark does): the sign-in page
shows first, then the page itself, with its title and no error (the very first URL the fresh
server answers is a page's, which Streamlit would run without the router); one real click in the
sidebar goes from one page to another; the sales dashboard's screenshot is what README.md shows.

Chromium is Debian's (`apt-get install chromium`, which .ci/run does), driven by Playwright's
Python package without Playwright's own browser downloads. Without it the test fails in CI
(``CI`` set) and is skipped, saying so, anywhere else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from crm import staff
from crm.db import create_crm_engine
from dashboard.navigation import PAGES, PageSpec
from tests.e2e.conftest import dashboard, small_crm_env
from tests.etl.small_crm import AS_OF
from tests.pages.conftest import build_warehouse

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOT = REPO_ROOT / "docs" / "sales-dashboard.png"
VIEWPORT = {"width": 1440, "height": 1000}
ADMIN_EMAIL = "ada@b.example"
ADMIN_PASSWORD = "ada's long password"
# A page's first run opens DuckDB and imports Plotly: seconds on a loaded 2-core machine.
PAGE_RUN_MS = 60_000


def url_path(spec: PageSpec) -> str:
    # st.Page infers the URL from the file name (pages/star_board.py → /star_board); the
    # default page is served at the root.
    return "" if spec.default else Path(spec.file).stem


def page_params() -> list:
    return [pytest.param(spec, id=Path(spec.file).stem) for spec in PAGES]


@pytest.fixture(scope="module")
def chromium_path() -> str:
    if Path(CHROMIUM).is_file():
        return CHROMIUM
    message = f"no Chromium at {CHROMIUM}: install it with `apt-get install chromium`"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def app_url(migrated_sqlite_template, tmp_path_factory) -> Iterator[str]:
    """The dashboard served as ./start serves it, on the small CRM's warehouse."""
    folder = tmp_path_factory.mktemp("browser")
    warehouse = build_warehouse(migrated_sqlite_template, folder, fill=True)
    add_admin(f"sqlite:///{folder / 'crm.sqlite'}")
    # Half a minute after the ETL run: the freshness line reads "30 s ago".
    later = (AS_OF + timedelta(seconds=30)).isoformat()
    with dashboard(folder, small_crm_env(folder, warehouse, STARBOARD_NOW=later)) as (url, _):
        yield url


def add_admin(url: str) -> None:
    engine = create_crm_engine(url)
    try:
        staff.add_staff(
            engine,
            actor_id=None,
            command_line=True,
            name="Ada Admin",
            email=ADMIN_EMAIL,
            role="admin",
            password=ADMIN_PASSWORD,
        )
    finally:
        engine.dispose()


def sign_in(page) -> None:
    """Sign in on the sign-in page the app shows first, and wait for the page asked for."""
    wait_for_app_run(page)
    assert page.get_by_role("heading", level=1).first.inner_text() == "Sign in to Starboard"
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for(timeout=PAGE_RUN_MS)
    wait_for_app_run(page)


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser):
    """A fresh tab; JavaScript errors it meets are collected in ``tab.js_errors``."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    yield page
    context.close()


def wait_for_app_run(page) -> None:
    """Wait until the app is connected, its script has finished and every element is drawn."""
    from playwright.sync_api import expect

    app = page.locator("[data-testid='stApp']")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=PAGE_RUN_MS)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=PAGE_RUN_MS)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=PAGE_RUN_MS)


def assert_rendered_without_error(page, spec: PageSpec) -> None:
    # The script has finished: what is not on the page now will not come.
    assert page.get_by_role("heading", level=1).first.inner_text() == spec.title
    assert page.get_by_test_id("stException").count() == 0, page.get_by_test_id(
        "stException"
    ).first.inner_text()
    errors = page.get_by_test_id("stAlertContentError")
    assert errors.count() == 0, errors.first.inner_text()
    assert "Traceback" not in page.get_by_test_id("stMain").inner_text()
    assert page.js_errors == []


def test_a_page_url_on_the_fresh_server_goes_through_the_router(tab, app_url):
    """The server's first page is /star_board: Streamlit would run pages/star_board.py itself,
    with a sidebar built from pages/ and no sign-in; the router must answer instead."""
    from playwright.sync_api import expect

    tab.goto(f"{app_url}/star_board")
    wait_for_app_run(tab)
    # The page's own run stops at its first read and reruns through the router; on a busy
    # machine the wait above can fall between the two runs, with the page's title still drawn.
    expect(tab.get_by_role("heading", level=1).first).to_have_text(
        "Sign in to Starboard", timeout=PAGE_RUN_MS
    )
    wait_for_app_run(tab)
    assert tab.get_by_test_id("stSidebarNav").count() == 0
    sign_in(tab)
    assert tab.get_by_role("heading", level=1).first.inner_text() == "Star board"
    links = tab.get_by_test_id("stSidebarNav").get_by_role("link").all_inner_texts()
    # Our titles (after each icon), not names made from file names ("dashboard app", ...).
    assert [link.split()[-2:] for link in links][:2] == [
        ["My", "leads"],
        ["Sales", "dashboard"],
    ]


@pytest.mark.parametrize("spec", page_params())
def test_every_page_renders_its_title_and_no_error(tab, app_url, spec):
    tab.goto(f"{app_url}/{url_path(spec)}")
    sign_in(tab)
    assert tab.url == f"{app_url}/{url_path(spec)}"
    assert_rendered_without_error(tab, spec)


def test_a_click_in_the_sidebar_opens_the_page(tab, app_url):
    # From the default page (at the root) to the first other page of the sidebar.
    first = next(spec for spec in PAGES if spec.default)
    second = next(spec for spec in PAGES if not spec.default)
    tab.goto(app_url)
    sign_in(tab)
    tab.get_by_test_id("stSidebarNav").get_by_role("link", name=second.title).click()
    tab.wait_for_url(f"{app_url}/{url_path(second)}")
    wait_for_app_run(tab)
    assert_rendered_without_error(tab, second)
    assert first.default


def test_sales_dashboard_screenshot(tab, app_url):
    """docs/sales-dashboard.png, the picture README.md shows, taken from the running app."""
    sales = next(spec for spec in PAGES if spec.file == "sales_dashboard.py")
    tab.goto(f"{app_url}/{url_path(sales)}")
    sign_in(tab)
    assert_rendered_without_error(tab, sales)
    # Plotly draws after the script has finished; charts on tabs not shown stay hidden.
    charts = tab.get_by_test_id("stPlotlyChart")
    assert charts.count() > 0
    for index in range(charts.count()):
        charts.nth(index).locator(".main-svg").first.wait_for(state="attached", timeout=PAGE_RUN_MS)
    # The app scrolls inside its main area, not the document: grow the window to the content
    # so that the full-page picture holds the whole dashboard.
    height = tab.get_by_test_id("stMain").evaluate("main => main.scrollHeight")
    tab.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], height)})
    wait_for_app_run(tab)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    tab.screenshot(path=SCREENSHOT, full_page=True, animations="disabled")
    assert SCREENSHOT.stat().st_size > 10_000


def test_the_import_page_checks_an_uploaded_csv_and_shows_the_dry_run_report(
    tab, app_url, tmp_path
):
    """A lead manager's path: upload a fair's CSV, keep the guessed columns, check it."""
    from playwright.sync_api import expect

    csv_file = tmp_path / "fair.csv"
    csv_file.write_text(
        "Client ID,First name,Surname,E-mail,Mobile,Country\n"
        "FAIR-1,Ana,Souza,ana.fair1@example.com,+5511987650001,BR\n"
        "FAIR-2,Ben,Okafor,ben.fair2@example.com,0803 123 4567,NG\n"
        "FAIR-3,Cara,Lim,not-an-email,+60123456789,MY\n",
        encoding="utf-8",
    )
    tab.goto(f"{app_url}/import_data")
    sign_in(tab)
    tab.get_by_label("Source", exact=True).fill("trade_fair")
    tab.keyboard.press("Enter")
    wait_for_app_run(tab)
    tab.locator("input[type=file]").set_input_files(str(csv_file))
    wait_for_app_run(tab)
    # The columns guessed from the header.
    expect(tab.get_by_role("combobox", name="E-mail *")).to_have_value("E-mail")
    tab.get_by_role("button", name="Check (dry run)").click()
    expect(
        tab.get_by_text(
            "fair.csv: dry run of 3 rows: 2 new, 0 duplicate, 1 invalid; nothing was written."
        )
    ).to_be_visible(timeout=PAGE_RUN_MS)
    wait_for_app_run(tab)
    metrics = tab.get_by_test_id("stMetricValue").all_inner_texts()
    assert metrics == ["2", "0", "1"]
    assert tab.get_by_role("button", name="Download the report (CSV)").count() == 1
    assert tab.get_by_test_id("stException").count() == 0
    assert tab.js_errors == []


# The small CRM's leads by id (lead 5 is quarantined and never listed).
LEAD_NAMES = {1: "Ana Lima", 2: "Ben Hall", 3: "Cara Vogel", 4: "Dan Saleh"}
LEAD_SCREENSHOT = REPO_ROOT / "docs" / "lead-page.png"
# Where a lead table draws the first row's "Open" link (the grid is a canvas: the link has no
# element of its own): the lead page column comes first, right after the row selection boxes
# (about 33 px), and the header and each row are 35 px tall.
FIRST_LINK_X, FIRST_LINK_Y = 33 + 20, 35 + 35 / 2


def test_a_lead_row_opens_its_lead_page_which_a_reload_keeps(tab, app_url):
    """A real click on a lead row's link opens the lead page; a reload of that tab stays
    signed in (the session cookie); the picture README.md shows is taken there."""
    from playwright.sync_api import expect

    tab.goto(f"{app_url}/all_leads")
    sign_in(tab)
    # Every page of an admin's is in the sidebar, none under "View more".
    sidebar = tab.get_by_test_id("stSidebarNav")
    assert sidebar.get_by_role("link").count() == len(PAGES)
    assert sidebar.get_by_text(re.compile(r"^View \d+ more$")).count() == 0
    table = tab.get_by_test_id("stDataFrame").first
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    pages_before = len(tab.context.pages)
    # The grid underlines the link once the pointer rests on it; a click then opens it.
    tab.mouse.move(box["x"] + FIRST_LINK_X, box["y"] + FIRST_LINK_Y)
    tab.wait_for_timeout(500)
    tab.mouse.click(box["x"] + FIRST_LINK_X, box["y"] + FIRST_LINK_Y)
    # The link opens a new tab: the cookie signs it in as well.
    for _ in range(PAGE_RUN_MS // 250):
        if len(tab.context.pages) > pages_before:
            break
        tab.wait_for_timeout(250)
    lead_tab = tab.context.pages[-1] if len(tab.context.pages) > pages_before else tab
    lead_tab.set_viewport_size(VIEWPORT)
    lead_tab.wait_for_url(f"{app_url}/lead?lead=*", timeout=PAGE_RUN_MS)
    wait_for_app_run(lead_tab)
    lead_id = int(lead_tab.url.rsplit("=", 1)[1])
    heading = f"{LEAD_NAMES[lead_id]} · lead {lead_id}"
    expect(lead_tab.get_by_role("heading", level=2).first).to_have_text(heading)

    lead_tab.reload()
    wait_for_app_run(lead_tab)
    expect(lead_tab.get_by_role("heading", level=2).first).to_have_text(
        heading, timeout=PAGE_RUN_MS
    )
    assert lead_tab.get_by_role("button", name="Sign out").count() == 1
    assert lead_tab.get_by_test_id("stException").count() == 0
    assert lead_tab.get_by_test_id("stAlertContentError").count() == 0

    height = lead_tab.get_by_test_id("stMain").evaluate("main => main.scrollHeight")
    lead_tab.set_viewport_size(
        {"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], height)}
    )
    wait_for_app_run(lead_tab)
    lead_tab.screenshot(path=LEAD_SCREENSHOT, full_page=True, animations="disabled")
    assert LEAD_SCREENSHOT.stat().st_size > 10_000


def test_a_lead_link_opened_signed_out_shows_the_lead_after_the_sign_in(tab, app_url):
    """A shared /lead?lead=2 opened by someone not signed in: the sign-in comes first, then
    Ben Hall's page, not an empty lead page (the sign-in's run drops the URL's query)."""
    from playwright.sync_api import expect

    tab.goto(f"{app_url}/lead?lead=2")
    sign_in(tab)
    expect(tab.get_by_role("heading", level=2).first).to_have_text(
        "Ben Hall · lead 2", timeout=PAGE_RUN_MS
    )
    assert tab.url == f"{app_url}/lead?lead=2"


def test_a_person_without_a_zone_sees_times_in_the_browser_s_zone(browser, app_url):
    """Ada's staff row has no time zone (she was added without one): her pages show times in
    the zone her browser reports, here Tokyo's, not UTC nor the floor's (UTC here)."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORT, timezone_id="Asia/Tokyo")
    try:
        tab = context.new_page()
        tab.goto(f"{app_url}/all_leads")
        sign_in(tab)
        # The ETL read the CRM at 12:00:00 UTC: 21:00:00 in Tokyo (UTC+9).
        expect(tab.get_by_text(re.compile(r"^data as of 21:00:00 \("))).to_be_visible(
            timeout=PAGE_RUN_MS
        )
        expect(tab.get_by_text(re.compile(r"times in Asia/Tokyo;"))).to_be_visible()
    finally:
        context.close()
