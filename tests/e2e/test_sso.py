"""Single sign-on in Chromium (issue 26, item 13): a real OpenID Connect provider
(``oidc-provider-mock``, started on a free loopback port), the dashboard served with an
``[auth]`` section in a secrets file of the test's own (``--secrets.files``; nothing in the
repository), and the small hand-built CRM. Ada signs in with the provider, stays signed in
through a reload, and signs out (of Starboard and of the provider); Eve, deactivated, is refused
in one line though the provider vouches for her.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import urllib.request

import pytest
import sqlalchemy as sa

from crm import staff as accounts
from crm.db import create_crm_engine
from tests.e2e.conftest import dashboard, free_port, small_crm_env
from tests.e2e.test_proxy_browser import PAGE_RUN_MS, VIEWPORT, open_tab, shows, wait_for_app_run
from tests.pages.conftest import build_warehouse

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ADA, EVE = "ada@b.example", "eve@b.example"
EVE_ID = 5
SSO_BUTTON = "Sign in with your company account"


def claims(email: str, name: str) -> str:
    return json.dumps({"sub": email, "email": email, "email_verified": True, "name": name})


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """oidc-provider-mock on a free port, with Ada and Eve as its users."""
    port = free_port()
    log = (tmp_path_factory.mktemp("oidc") / "provider.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--port", str(port),
         "--user-claims", claims(ADA, "Ada Admin"), "--user-claims", claims(EVE, "Eve Exec")],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"the OpenID provider did not start:\n{log.read()}", pytrace=False)
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)
    log.close()


def add_ada(engine: sa.Engine) -> None:
    accounts.add_staff(
        engine, actor_id=None, command_line=True, name="Ada Admin", email=ADA, role="admin",
        password=None,
    )  # fmt: skip
    accounts.set_active(engine, actor_id=None, command_line=True, staff_id=EVE_ID, active=False)


@pytest.fixture(scope="module")
def site(migrated_sqlite_template, tmp_path_factory, provider):
    folder = tmp_path_factory.mktemp("sso")
    warehouse = build_warehouse(migrated_sqlite_template, folder, True, prepare=add_ada)
    port = free_port()
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        'client_id = "starboard"\n'
        f'client_secret = "{secrets.token_urlsafe(32)}"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    env = small_crm_env(folder, warehouse)
    options = {"secrets.files": str(secrets_file)}
    with dashboard(folder, env, options, port=port) as (url, _):
        yield url, env["CRM_DATABASE_URL"]


@pytest.fixture
def context(chromium):
    context = chromium.new_context(viewport=VIEWPORT)
    context.problems = []
    yield context
    context.close()


def through_the_provider(page, url: str, email: str) -> None:
    page.goto(url)
    shows(page, "Sign in to Starboard")
    page.get_by_role("button", name=SSO_BUTTON).click()
    # The provider's own page: its users are buttons.
    page.get_by_role("button", name=email, exact=True).click(timeout=PAGE_RUN_MS)


def sessions_of(crm_url: str) -> list[tuple]:
    engine = create_crm_engine(crm_url)
    try:
        with engine.connect() as connection:
            return [
                tuple(row)
                for row in connection.execute(
                    sa.text("SELECT staff_id, method, end_reason FROM sign_in_sessions")
                )
            ]
    finally:
        engine.dispose()


def test_sign_in_with_the_provider_reload_and_sign_out(site, context):
    url, crm_url = site
    page = open_tab(context)
    through_the_provider(page, url, ADA)
    page.get_by_role("button", name="Sign out").wait_for(timeout=PAGE_RUN_MS)
    shows(page, "Sales dashboard")
    assert page.get_by_test_id("stSidebar").get_by_text("Ada Admin · admin").count() == 1
    assert sessions_of(crm_url) == [(6, "sso", None)]

    page.reload()
    shows(page, "Sales dashboard")
    assert page.get_by_role("button", name="Sign out").count() == 1

    page.get_by_role("button", name="Sign out").click()
    # The provider ends its own session too, then sends the browser back.
    page.get_by_role("button", name="End session").click(timeout=PAGE_RUN_MS)
    shows(page, "Sign in to Starboard")
    assert sessions_of(crm_url) == [(6, "sso", "signed_out")]
    page.reload()
    shows(page, "Sign in to Starboard")
    assert context.problems == []


def test_a_deactivated_person_is_refused_though_the_provider_vouches(site, context):
    url, crm_url = site
    page = open_tab(context)
    through_the_provider(page, url, EVE)
    wait_for_app_run(page)
    error = page.get_by_test_id("stAlertContentError")
    error.wait_for(timeout=PAGE_RUN_MS)
    assert error.inner_text() == "eve@b.example's Starboard account is inactive: ask an admin."
    assert page.get_by_role("button", name="Sign out", exact=True).count() == 0
    assert all(staff_id != EVE_ID for staff_id, _, _ in sessions_of(crm_url))
