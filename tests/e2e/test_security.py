"""Sign-in and the browser, attacked for real (issue 26, items 6, 7 and 12): the dashboard served
by ``streamlit run dashboard_server.py`` on a free port, Debian's nginx in front of it
(``deploy/nginx.py``, on another free port), and clients that speak Streamlit's websocket
protocol from chosen loopback addresses (``streamlit_client.py``): 127.0.0.7 plays an attacker,
127.0.0.8 the admin, 127.0.0.1 and ::1 browsers on the server's own machine.

The dashboard trusts X-Forwarded-For from 127.0.0.1 alone (the proxy's address), so a client
that connects to it directly from elsewhere on the machine cannot choose its own address.
"""

from __future__ import annotations

import socket
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm import staff as accounts
from crm.db import create_crm_engine
from crm.models import SignInAttempt, SignInSession
from tests.e2e.conftest import dashboard, proxy_for, small_crm_env
from tests.e2e.streamlit_client import StreamlitClient
from tests.pages.conftest import build_warehouse

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ADMIN = ("ada@b.example", "ada's long password")
ATTACKER, ADMIN_ADDRESS, VICTIM_ADDRESS = "127.0.0.7", "127.0.0.8", "127.0.0.9"
ATTEMPTS = SignInAttempt.__table__
SESSIONS = SignInSession.__table__


@dataclass(frozen=True)
class Floor:
    app: str  # the dashboard itself
    proxy: str  # nginx in front of it
    crm: sa.Engine
    log: Path


def add_admin(engine: sa.Engine) -> None:
    accounts.add_staff(
        engine, actor_id=None, command_line=True, name="Ada Admin", email=ADMIN[0],
        role="admin", password=ADMIN[1],
    )  # fmt: skip


@pytest.fixture(scope="module")
def floor(migrated_sqlite_template, tmp_path_factory, nginx) -> Floor:
    folder = tmp_path_factory.mktemp("security")
    warehouse = build_warehouse(migrated_sqlite_template, folder, True, prepare=add_admin)
    env = small_crm_env(folder, warehouse, STARBOARD_TRUST_FORWARDED_FOR="127.0.0.1")
    engine = create_crm_engine(env["CRM_DATABASE_URL"])
    with dashboard(folder, env) as (app, log), proxy_for(nginx, folder / "nginx", app) as proxy:
        yield Floor(app, proxy.url, engine, log)
    engine.dispose()


def addresses(engine: sa.Engine, emails: list[str]) -> set[str]:
    with engine.connect() as connection:
        return set(
            connection.scalars(
                sa.select(ATTEMPTS.c.address).where(ATTEMPTS.c.email.in_(emails))
            ).all()
        )


def wrong_passwords(url: str, source: str, emails: list[str], **client) -> list[str]:
    """One wrong password for each of ``emails``; the error each one got."""
    errors = []
    with StreamlitClient(url, source=source, **client) as browser:
        for email in emails:
            run = browser.sign_in(email, "a wrong guess")
            errors.append(next(text for text in run.texts() if text.startswith(("wrong", "too"))))
    return errors


def signs_in(url: str, source: str) -> bool:
    with StreamlitClient(url, source=source) as browser:
        redirect = browser.sign_in(*ADMIN).redirect()
    return redirect is not None and redirect.startswith("/_starboard/session?code=")


def has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


# Item 6 ------------------------------------------------------------------------------------------


def test_wrong_passwords_on_this_machine_do_not_lock_out_its_other_users(floor):
    """21 wrong passwords from a browser on the server's machine (IPv4, so ::ffff:127.0.0.1 to
    the dual-stack server) used to lock out everyone there: the admin still signs in."""
    emails = [f"local{i}@b.example" for i in range(21)]
    errors = wrong_passwords(floor.app, "127.0.0.1", emails)
    assert errors == ["wrong email or password."] * 21
    assert signs_in(floor.app, "127.0.0.1")
    assert addresses(floor.crm, emails) == {"127.0.0.1"}


def test_behind_the_proxy_each_client_is_counted_by_its_own_address(floor):
    """Through nginx, 20 wrong passwords lock the attacker's address (and only that one),
    whatever X-Forwarded-For the attacker writes; the admin at another address signs in."""
    emails = [f"guess{i}@b.example" for i in range(21)]
    errors = wrong_passwords(floor.proxy, ATTACKER, emails, headers={"X-Forwarded-For": "10.9.9.9"})
    assert errors[:19] == ["wrong email or password."] * 19
    assert errors[19].startswith("wrong email or password. too many wrong sign-ins")
    assert errors[20].startswith("too many wrong sign-ins: try again in 15 minutes")
    assert signs_in(floor.proxy, ADMIN_ADDRESS)
    assert addresses(floor.crm, emails) == {ATTACKER}
    assert addresses(floor.crm, [ADMIN[0]]) >= {ADMIN_ADDRESS}


def test_a_forged_forwarded_for_from_this_machine_is_not_believed(floor):
    """Uvicorn believed X-Forwarded-For from ::1; the dashboard believes its proxy alone."""
    if not has_ipv6_loopback():
        pytest.skip("this machine has no IPv6 loopback")
    wrong_passwords(
        floor.app.replace("127.0.0.1", "[::1]"), "::1", ["forged@b.example"],
        headers={"X-Forwarded-For": "10.9.9.9"},
    )  # fmt: skip
    wrong_passwords(
        floor.app, "127.0.0.5", ["forged4@b.example"], headers={"X-Forwarded-For": "10.9.9.9"}
    )
    assert addresses(floor.crm, ["forged@b.example"]) == {"::1"}
    assert addresses(floor.crm, ["forged4@b.example"]) == {"127.0.0.5"}


# Item 7 ------------------------------------------------------------------------------------------


def test_a_streamlit_session_id_alone_does_not_reach_a_signed_in_session(floor):
    """The admin signs in through the proxy; someone who learnt the admin's Streamlit session
    id resumes that session from another address, without the session cookie: they get the
    sign-in page, not the Staff page. The id is in no table and no log line."""
    with StreamlitClient(floor.proxy, source=VICTIM_ADDRESS) as signing_in:
        redirect = signing_in.sign_in(*ADMIN).redirect()
        assert signing_in.follow(redirect).status == 303
        cookies = dict(signing_in.cookies)
    assert list(cookies) == ["starboard_session"]
    with StreamlitClient(floor.proxy, source=VICTIM_ADDRESS, cookies=cookies) as admin:
        staff_page = admin.run("staff")
        session_id = staff_page.session_id()
    assert "Staff" in staff_page.texts()

    with StreamlitClient(floor.proxy, source=ATTACKER, resume=session_id) as thief:
        stolen = thief.run("staff")
    assert stolen.session_id() == session_id  # Streamlit did resume it ...
    assert "Staff" not in stolen.texts()  # ... but nobody is signed in there
    assert "Sign in to Starboard" in stolen.texts()

    with floor.crm.connect() as connection:
        stored = connection.execute(sa.select(ATTEMPTS.c.address)).scalars().all()
        tokens = connection.execute(sa.select(SESSIONS.c.token_hash)).scalars().all()
    assert not [address for address in stored if "session" in address or session_id in address]
    assert cookies["starboard_session"] not in tokens  # only its hash is kept
    assert session_id not in floor.log.read_text()

    # The admin's own browser, with its cookie, is still signed in.
    with StreamlitClient(floor.proxy, source=VICTIM_ADDRESS, cookies=cookies) as admin:
        assert "Staff" in admin.run("staff").texts()


def test_a_sign_in_code_works_once(floor):
    with StreamlitClient(floor.proxy, source=ADMIN_ADDRESS) as browser:
        redirect = browser.sign_in(*ADMIN).redirect()
        browser.follow(redirect)
        assert "starboard_session" in browser.cookies
    with StreamlitClient(floor.proxy, source=ATTACKER) as replay:
        answer = replay.follow(redirect)
        assert answer.status == 303 and "starboard_session" not in replay.cookies


# Item 12 -----------------------------------------------------------------------------------------


def test_no_path_or_version_reaches_a_signed_out_client(floor):
    with StreamlitClient(floor.proxy, source=ATTACKER) as stranger:
        run = stranger.run()
    session = next(m.new_session for m in run.messages if m.WhichOneof("type") == "new_session")
    assert session.main_script_path == "dashboard_app.py"
    environment = session.initialize.environment_info
    assert (environment.streamlit_version, environment.python_version) == ("", "")
    assert str(Path.cwd()) not in str(run.messages)


@pytest.mark.parametrize("where", ["app", "proxy"])
def test_every_answer_forbids_framing_and_names_no_version(floor, where):
    url = getattr(floor, where)
    with urllib.request.urlopen(f"{url}/") as answer:
        headers = answer.headers
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers.get("Server") in ({"app": "uvicorn", "proxy": "nginx"}[where],)
    for path in ("/_stcore/metrics", "/_stcore/agent/openapi.json"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{url}{path}")
        assert refused.value.code == 404


def test_a_signed_out_client_cannot_clear_the_caches(floor):
    """clear_cache from a stranger's websocket would empty every user's caches: dropped."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    message = BackMsg()
    message.clear_cache = True
    with StreamlitClient(floor.proxy, source=ATTACKER) as stranger:
        stranger.run()
        stranger.send(message)
        assert "Sign in to Starboard" in stranger.run().texts()  # the connection goes on
    assert "dropped a clear_cache" in floor.log.read_text()
