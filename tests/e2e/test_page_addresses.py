"""Page addresses typed in a real browser by someone signed in, for every role.

A typed address starts a new Streamlit session, which asks for its page by the address's name
(the sign-in does too: it sends the browser back to the address it was on). So the first page
of a role, which Streamlit serves at the root, must open under its own name as well
(/my_leads for an account manager, /sales_dashboard for the others); a page the role may not
open, or an address that names no page at all, lands on the role's first page (or the sign-in)
with one line saying so, never "Page not found".

The dashboard is the real server on the small CRM's warehouse (tests/etl/small_crm.py), with
passwords given here to Mia (lead manager), Alan (account manager) and Eve (executive), and two
people added: Ada (admin) and Sal (sales manager). One more server answers a single address
first thing after its start, when Streamlit would run the page's file without the router.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from crm import staff
from crm.db import create_crm_engine
from tests.e2e.conftest import dashboard, small_crm_env
from tests.e2e.test_browser import PAGE_RUN_MS, wait_for_app_run
from tests.pages.conftest import build_warehouse

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Each role's person, their first page (title, its own address) and a page they may not open.
PEOPLE = {
    "admin": ("ada@b.example", "Sales dashboard", "sales_dashboard", None),
    "sales manager": ("sal@b.example", "Sales dashboard", "sales_dashboard", ("staff", "Staff")),
    "lead manager": ("mia@b.example", "Sales dashboard", "sales_dashboard", ("staff", "Staff")),
    "account manager": (
        "alan@b.example",
        "My leads",
        "my_leads",
        ("sales_dashboard", "Sales dashboard"),
    ),
    "executive": (
        "eve@b.example",
        "Sales dashboard",
        "sales_dashboard",
        ("all_leads", "All leads"),
    ),
}
ADDED = {"ada@b.example": ("Ada Admin", "admin"), "sal@b.example": ("Sal Seller", "sales_manager")}
SMALL_CRM_STAFF = {"mia@b.example": 1, "alan@b.example": 2, "eve@b.example": 5}


def password_of(email: str) -> str:
    return f"{email.split('@')[0]}'s long password"


@pytest.fixture(scope="module")
def app_url(migrated_sqlite_template, chromium, tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("addresses")
    warehouse = build_warehouse(migrated_sqlite_template, folder, fill=True)
    engine = create_crm_engine(f"sqlite:///{folder / 'crm.sqlite'}")
    try:
        for email, (name, role) in ADDED.items():
            staff.add_staff(
                engine, actor_id=None, command_line=True, name=name, email=email, role=role,
                password=password_of(email),
            )  # fmt: skip
        for email, staff_id in SMALL_CRM_STAFF.items():
            staff.set_password(
                engine, actor_id=None, command_line=True, staff_id=staff_id,
                password=password_of(email),
            )  # fmt: skip
    finally:
        engine.dispose()
    with dashboard(folder, small_crm_env(folder, warehouse)) as (url, _):
        yield url


@pytest.fixture
def tab(chromium):
    context = chromium.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    yield page
    context.close()


def sign_in(tab, email: str) -> None:
    wait_for_app_run(tab)
    tab.get_by_label("Email").fill(email)
    tab.get_by_label("Password", exact=True).fill(password_of(email))
    tab.get_by_role("button", name="Sign in").click()
    tab.get_by_role("button", name="Sign out").wait_for(timeout=PAGE_RUN_MS)
    wait_for_app_run(tab)


def opened(tab, url: str) -> None:
    """Type ``url`` in the address bar: a new session, signed in by the cookie."""
    tab.goto(url)
    tab.get_by_role("button", name="Sign out").wait_for(timeout=PAGE_RUN_MS)
    wait_for_app_run(tab)


def landed_on(tab, url: str) -> None:
    """The tab is at ``url``: the redirect moves the address bar after the page has run, a
    moment later on a loaded machine, so wait for it before checking."""
    with contextlib.suppress(PlaywrightTimeout):
        tab.wait_for_url(url, timeout=PAGE_RUN_MS)
    assert tab.url == url


def heading(tab) -> str:
    return tab.get_by_role("heading", level=1).first.inner_text()


def notices(tab) -> list[str]:
    return tab.get_by_test_id("stAlertContentInfo").all_inner_texts()


def assert_no_page_not_found(tab) -> None:
    assert tab.get_by_text("Page not found").count() == 0
    assert tab.get_by_test_id("stException").count() == 0
    assert tab.js_errors == []


@pytest.mark.parametrize("role", list(PEOPLE))
def test_the_first_page_opens_at_its_own_address_and_a_page_not_for_the_role_says_so(
    tab, app_url, role
):
    email, first, first_path, refused = PEOPLE[role]
    tab.goto(app_url)
    sign_in(tab, email)
    assert heading(tab) == first

    opened(tab, f"{app_url}/{first_path}")
    assert heading(tab) == first
    assert not any("not available for your role" in text for text in notices(tab))
    assert_no_page_not_found(tab)

    if refused is None:  # the admin opens every page
        return
    path, title = refused
    opened(tab, f"{app_url}/{path}")
    assert heading(tab) == first
    landed_on(tab, f"{app_url}/")
    assert notices(tab)[0] == (
        f"{title} is not available for your role ({role}): you are on {first} instead."
    )
    assert_no_page_not_found(tab)


def test_a_page_asked_for_before_the_sign_in_says_why_it_is_not_shown(tab, app_url):
    """Signed out at /all_leads, an executive signs in: the sales dashboard, saying why."""
    tab.goto(f"{app_url}/all_leads")
    sign_in(tab, "eve@b.example")
    assert heading(tab) == "Sales dashboard"
    assert notices(tab)[0] == (
        "All leads is not available for your role (executive): you are on Sales dashboard instead."
    )
    assert_no_page_not_found(tab)


def test_the_distribution_page_first_on_a_fresh_server_asks_for_the_sign_in(
    migrated_sqlite_template, chromium, tmp_path
):
    """The first address a fresh server answers is run without the router (see
    ``viewer.ensure_routed``): the distribution page read the CRM before asking who was looking,
    and showed its rules and the AMs of its pools to whoever asked."""
    from playwright.sync_api import expect

    warehouse = build_warehouse(migrated_sqlite_template, tmp_path, fill=True)
    with dashboard(tmp_path, small_crm_env(tmp_path, warehouse)) as (url, _):
        context = chromium.new_context()
        try:
            tab = context.new_page()
            tab.goto(f"{url}/distribution")
            wait_for_app_run(tab)
            expect(tab.get_by_role("heading", level=1).first).to_have_text(
                "Sign in to Starboard", timeout=PAGE_RUN_MS
            )
            wait_for_app_run(tab)
            assert tab.get_by_text("Rules (first match wins)").count() == 0
            assert tab.get_by_test_id("stSidebarNav").count() == 0
        finally:
            context.close()


@pytest.mark.parametrize(
    "email, first", [("alan@b.example", "My leads"), ("mia@b.example", "Sales dashboard")]
)
def test_an_address_naming_no_page_lands_on_the_first_page_saying_so(tab, app_url, email, first):
    """/nonsense (and /home, a natural guess) is no page: the first page, one line why, the
    address's query dropped (it means nothing there); never Streamlit's "Page not found"."""
    tab.goto(app_url)
    sign_in(tab, email)
    for address in ("nonsense?lead=1", "home"):
        opened(tab, f"{app_url}/{address}")
        assert heading(tab) == first
        landed_on(tab, f"{app_url}/")
        name = address.split("?")[0]
        assert notices(tab)[0] == f"There is no page at /{name}: you are on {first} instead."
        assert_no_page_not_found(tab)
    # A page not for the role, asked with a lead: the first page reads no lead, so none is kept.
    opened(tab, f"{app_url}/staff?lead=1")
    landed_on(tab, f"{app_url}/")


def test_an_address_naming_no_page_signed_out_asks_for_the_sign_in_saying_so(tab, app_url):
    tab.goto(f"{app_url}/nonsense?lead=1")
    wait_for_app_run(tab)
    assert heading(tab) == "Sign in to Starboard"
    assert notices(tab) == ["There is no page at /nonsense: sign in to open your first page."]
    landed_on(tab, f"{app_url}/")
    assert_no_page_not_found(tab)
    sign_in(tab, "alan@b.example")
    assert heading(tab) == "My leads"
    landed_on(tab, f"{app_url}/")
    assert_no_page_not_found(tab)


def test_an_address_naming_no_page_first_on_a_fresh_server_says_so(
    migrated_sqlite_template, chromium, tmp_path
):
    """Before the router's first run Streamlit would answer /nonsense itself, with its dialog."""
    warehouse = build_warehouse(migrated_sqlite_template, tmp_path, fill=True)
    with dashboard(tmp_path, small_crm_env(tmp_path, warehouse)) as (url, _):
        context = chromium.new_context(viewport={"width": 1440, "height": 1000})
        try:
            page = context.new_page()
            page.js_errors = []
            page.goto(f"{url}/nonsense")
            wait_for_app_run(page)
            page.screenshot(path=str(tmp_path / "fresh-nonsense.png"))
            assert heading(page) == "Sign in to Starboard"
            assert notices(page) == [
                "There is no page at /nonsense: sign in to open your first page."
            ]
            assert_no_page_not_found(page)
        finally:
            context.close()


def test_a_lead_link_first_on_a_fresh_server_opens_the_lead(
    migrated_sqlite_template, chromium, tmp_path
):
    """Alan, signed in, opens his lead's link (/lead?lead=1) first thing after a restart of the
    dashboard, before any router run of the new server: the lead, its ?lead= kept. (His session
    is the CRM's: the first server signs him in, the second, fresh, reads the same cookie; a
    cookie does not depend on the port.)"""
    from playwright.sync_api import expect

    warehouse = build_warehouse(migrated_sqlite_template, tmp_path, fill=True)
    engine = create_crm_engine(f"sqlite:///{tmp_path / 'crm.sqlite'}")
    try:
        staff.set_password(
            engine, actor_id=None, command_line=True, staff_id=SMALL_CRM_STAFF["alan@b.example"],
            password=password_of("alan@b.example"),
        )  # fmt: skip
    finally:
        engine.dispose()
    env = small_crm_env(tmp_path, warehouse)
    context = chromium.new_context(viewport={"width": 1440, "height": 1000})
    try:
        page = context.new_page()
        page.js_errors = []
        with dashboard(tmp_path, env) as (first_url, _):
            page.goto(first_url)
            sign_in(page, "alan@b.example")
        with dashboard(tmp_path, env) as (url, _):
            page.goto(f"{url}/lead?lead=1")
            wait_for_app_run(page)
            expect(page.get_by_role("heading", level=2).first).to_have_text(
                "Ana Lima · lead 1", timeout=PAGE_RUN_MS
            )
            assert heading(page) == "Lead"
            assert page.url == f"{url}/lead?lead=1"
            assert_no_page_not_found(page)
    finally:
        context.close()
