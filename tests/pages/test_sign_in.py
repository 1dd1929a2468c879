"""Sign-in and roles in the dashboard (AppTest from dashboard_app.py): nothing shows signed out;
each role gets exactly its pages; executives never receive a client's email or phone; wrong
passwords lock an account; a demoted, deactivated or idle person loses access at the next click.

The CRM is the small hand-built one (tests/etl/small_crm.py) with, written here:
- two more people: 6 Ada Admin (admin) and 7 Sal Seller (sales manager);
- passwords for Mia (lead manager), Alan (AM), Eve (executive), Ada and Sal;
- a support ticket whose subject and a note of Alan's whose body hold clients' contacts: Ben's
  email and phone (ben@mail.example, +447000000002) and Ana's (ana@mail.example,
  +447000000001), so that a manager does see contacts on Support issues and the Log report.
Clients' contacts in small_crm.py: leads 1-4 have emails ana@, ben@, cara@, dan@mail.example and
phones +4470000000 01 to 04 (lead 5 is quarantined and never reaches the warehouse).
"""

from __future__ import annotations

import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from crm import auth
from crm import staff as accounts
from crm.db import create_crm_engine
from crm.models import Base
from dashboard.navigation import PAGES
from dashboard.viewer import ACTIVITY_KEY, STAFF_KEY
from etl.extract import CrmSource
from etl.run import run_etl
from tests.etl.small_crm import AS_OF, build_small_crm
from tests.pages.conftest import APP_TIMEOUT_S, REPO_ROOT, signed_in
from warehouse import warehouse_paths

T = Base.metadata.tables
MIA, ALAN, EVE, ADA, SAL = 1, 2, 5, 6, 7
PASSWORDS = {
    MIA: "mia's long password",
    ALAN: "alan's long password",
    EVE: "eve's long password",
    ADA: "ada's long password",
    SAL: "sal's long password",
}
EMAILS = {MIA: "mia@b.example", EVE: "eve@b.example", SAL: "sal@b.example"}
CLIENT_EMAILS = ["ana@mail.example", "ben@mail.example", "cara@mail.example", "dan@mail.example"]
CLIENT_PHONES = ["+447000000001", "+447000000002", "+447000000003", "+447000000004"]
ALL_PAGES = {spec.file for spec in PAGES}
# My leads arrives with the action widgets (another branch): expected wherever it exists.
MY_LEADS = "my_leads.py"
# The lead page (issue 22): every role opens it, an AM for their own leads only.
LEAD = "lead.py"
MANAGER_PAGES = ALL_PAGES - {"staff.py"} | {MY_LEADS}
EXPECTED_PAGES = {
    "executive": {"sales_dashboard.py", "executive_kpas.py", LEAD},
    "account_manager": {MY_LEADS, LEAD},
    "lead_manager": MANAGER_PAGES,
    "sales_manager": MANAGER_PAGES,
    "admin": MANAGER_PAGES | {"staff.py"},
}
ROLE_OF = {EVE: "executive", ALAN: "account_manager", MIA: "lead_manager", SAL: "sales_manager"}
ROLE_OF[ADA] = "admin"
PAGE_FILES = sorted(path.name for path in (REPO_ROOT / "pages").glob("*.py"))


def add_to_small_crm(engine: sa.Engine) -> None:
    stamp = {"created_at": AS_OF, "updated_at": AS_OF}
    with engine.begin() as connection:
        for staff_id, name, role in (
            (ADA, "Ada Admin", "admin"),
            (SAL, "Sal Seller", "sales_manager"),
        ):
            connection.execute(
                T["staff"].insert().values(
                    id=staff_id, name=name, email=f"{name.split()[0].lower()}@b.example", role=role,
                    time_zone="Europe/London", is_active=True, **stamp,
                )
            )  # fmt: skip
        connection.execute(
            T["support_tickets"].insert().values(
                id=6, lead_id=2, owner_id=3, priority="high", status="open",
                subject="Ben asks to use ben@mail.example or +447000000002",
                opened_at=datetime(2026, 3, 10, 11, 30, tzinfo=timezone.utc),
                created_at=AS_OF, updated_at=AS_OF,
            )
        )  # fmt: skip
        connection.execute(
            T["notes"].insert().values(
                id=2, lead_id=1, author_id=ALAN,
                body="Ana: write to ana@mail.example, or call +447000000001",
                created_at=datetime(2026, 3, 10, 11, 0, tzinfo=timezone.utc),
                updated_at=datetime(2026, 3, 10, 11, 0, tzinfo=timezone.utc),
            )
        )  # fmt: skip
    for staff_id, password in PASSWORDS.items():
        accounts.set_password(
            engine, actor_id=None, command_line=True, staff_id=staff_id, password=password
        )


@pytest.fixture(scope="session")
def contacts_warehouse(migrated_sqlite_template, tmp_path_factory) -> Path:
    """The small CRM with the additions above, and the warehouse the ETL builds from it."""
    folder = tmp_path_factory.mktemp("sign_in")
    crm = folder / "crm.sqlite"
    shutil.copyfile(migrated_sqlite_template, crm)
    engine = create_crm_engine(f"sqlite:///{crm}")
    try:
        build_small_crm(engine)
        add_to_small_crm(engine)
    finally:
        engine.dispose()
    paths = warehouse_paths(folder / "warehouse.duckdb")
    source = CrmSource(f"sqlite:///{crm}")
    try:
        run_etl(source, paths, now=lambda: AS_OF)
    finally:
        source.close()
    return paths.link


@pytest.fixture
def crm(contacts_warehouse, tmp_path, monkeypatch) -> sa.Engine:
    """This test's own copy of the CRM (sign-ins write to it), and the environment the app
    reads: that CRM, the shared warehouse, AS_OF's day."""
    copy = tmp_path / "crm.sqlite"
    shutil.copyfile(Path(contacts_warehouse).parent / "crm.sqlite", copy)
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{copy}")
    monkeypatch.setenv("WAREHOUSE_PATH", str(contacts_warehouse))
    monkeypatch.setenv("STARBOARD_TODAY", AS_OF.date().isoformat())
    monkeypatch.setenv("STARBOARD_NOW", AS_OF.isoformat())
    monkeypatch.setenv("STARBOARD_TIME_ZONE", "UTC")
    for name in ("STARBOARD_IDLE_MINUTES", "STARBOARD_SIGNIN_LOCK_MINUTES"):
        monkeypatch.delenv(name, raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    engine = create_crm_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()
    st.cache_data.clear()
    st.cache_resource.clear()


def app() -> AppTest:
    return AppTest.from_file(str(REPO_ROOT / "dashboard_app.py"), default_timeout=APP_TIMEOUT_S)


def sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="sign_in.email").input(email)
    at.text_input(key="sign_in.password").input(password)
    return at.button[0].click().run()


def title(at: AppTest) -> str:
    return at.title[0].value


def registered(at: AppTest) -> set[str]:
    """The page files the app's navigation offers now (AppTest refuses to switch to others)."""
    offered = set()
    for name in PAGE_FILES:
        try:
            at.switch_page(f"pages/{name}")
        except ValueError:
            continue
        offered.add(name)
    return offered


def output(at: AppTest) -> str:
    """Everything the app sent for the page: every element's message, and each table whole."""
    parts = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        try:
            value = node.value
        except Exception:  # an element without a value
            value = None
        if isinstance(value, pd.DataFrame):
            parts.append(value.to_csv())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    return "\n".join(parts)


# Signed out ------------------------------------------------------------------------------------


def test_signed_out_nothing_but_the_sign_in_page_shows(crm):
    at = app().run()
    assert not at.exception
    assert title(at) == "Sign in to Starboard"
    assert registered(at) == set()
    assert len(at.dataframe) == 0  # no data, and this CRM is no demo: no demo accounts either
    assert "Demo accounts" not in [header.value for header in at.subheader]
    # No [auth] section in any secrets file: password sign-in only (issue 26, item 13).
    assert [button.label for button in at.button] == ["Sign in"]


def test_the_right_password_signs_in_and_the_sidebar_says_who(crm):
    at = sign_in(app().run(), " MIA@b.example ", PASSWORDS[MIA])
    assert not at.exception
    assert title(at) == "Sales dashboard"
    assert at.sidebar.text[0].value == "Mia Manager · lead manager"
    assert at.session_state[STAFF_KEY] == MIA
    assert "sign_in.password" not in at.session_state  # the password is not kept
    assert [a.outcome for a in auth.attempts(crm)] == ["signed_in"]


def test_a_wrong_password_is_refused_in_one_line(crm):
    at = sign_in(app().run(), EMAILS[MIA], "not the password")
    assert title(at) == "Sign in to Starboard"
    assert [error.value for error in at.error] == ["wrong email or password."]
    assert registered(at) == set()


def test_repeated_wrong_sign_ins_lock_the_account_while_another_still_signs_in(crm, monkeypatch):
    monkeypatch.setenv("STARBOARD_SIGNIN_LOCK_MINUTES", "2")
    at = app().run()
    for _ in range(5):
        sign_in(at, EMAILS[MIA], "a guess")
    sign_in(at, EMAILS[MIA], PASSWORDS[MIA])
    assert title(at) == "Sign in to Starboard"
    assert at.error[0].value.startswith("too many wrong sign-ins: try again in 2 minutes")
    sign_in(at, EMAILS[EVE], PASSWORDS[EVE])
    assert title(at) == "Sales dashboard"
    assert at.session_state[STAFF_KEY] == EVE
    outcomes = [a.outcome for a in auth.attempts(crm, EMAILS[MIA])]
    assert outcomes == ["wrong_password"] * 5 + ["locked"]


def test_a_crm_behind_on_migrations_is_one_line_not_a_traceback(crm):
    with crm.begin() as connection:
        connection.execute(sa.text("DROP TABLE sign_in_attempts"))
    at = sign_in(app().run(), EMAILS[MIA], PASSWORDS[MIA])
    assert not at.exception
    assert [error.value for error in at.error] == [
        "Starboard cannot read its CRM now (OperationalError): try again in a moment; if it "
        "lasts, run `python -m crm init` and check CRM_DATABASE_URL."
    ]


def test_a_demo_crm_names_its_accounts_on_the_sign_in_page(crm):
    with crm.begin() as connection:
        connection.execute(
            T["crm_settings"].insert().values(key="demo", value="true", updated_at=AS_OF)
        )
    accounts.reset_demo_passwords(crm)
    at = app().run()
    assert "Demo accounts" in [header.value for header in at.subheader]
    shown = at.dataframe[0].value
    # The first active person of each role, in the roles' order.
    assert shown.values.tolist() == [
        ["admin", "Ada Admin", "ada@b.example"],
        ["sales manager", "Sal Seller", "sal@b.example"],
        ["lead manager", "Mia Manager", "mia@b.example"],
        ["account manager", "Alan Ames", "alan@b.example"],
        ["executive", "Eve Exec", "eve@b.example"],
    ]
    assert "python -m crm demo-passwords" in at.caption[0].value


# Roles -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("staff_id", [EVE, ALAN, MIA, SAL, ADA], ids=lambda i: ROLE_OF[i])
def test_each_role_is_offered_exactly_its_pages(crm, staff_id):
    at = signed_in(app(), staff_id).run()
    assert not at.exception
    expected = EXPECTED_PAGES[ROLE_OF[staff_id]] & set(PAGE_FILES)
    assert registered(at) == expected
    for name in sorted(expected):
        at.switch_page(f"pages/{name}").run()
        assert not at.exception, name


def test_an_executive_pages_offer_no_action(crm):
    at = signed_in(app(), EVE).run()
    for name in sorted(EXPECTED_PAGES["executive"]):
        at.switch_page(f"pages/{name}").run()
        assert [button.label for button in at.button] == ["Sign out"], name


def test_an_admin_manages_staff_on_the_staff_page(crm):
    at = signed_in(app(), ADA).run()
    at.switch_page("pages/staff.py").run()
    assert title(at) == "Staff"
    at.text_input(key="staff.add.name").input("Nora New")
    at.text_input(key="staff.add.email").input("nora@b.example")
    at.selectbox(key="staff.add.role").select("executive")
    at.text_input(key="staff.add.password").input("nora's long password")
    next(button for button in at.button if button.label == "Add").click().run()
    assert not at.exception
    assert [message.value for message in at.success] == [
        "Nora New added as an executive (staff 8)."
    ]
    table = at.dataframe[0].value.set_index("email")
    assert table.loc["nora@b.example", ["role", "active", "can_sign_in"]].tolist() == [
        "executive", True, True,
    ]  # fmt: skip
    assert auth.sign_in(crm, "nora@b.example", "nora's long password", address="test").staff_id == 8
    with crm.connect() as connection:
        # The zone was left empty: Nora sees times in her browser's zone.
        zone = connection.scalar(sa.select(T["staff"].c.time_zone).where(T["staff"].c.id == 8))
        assert zone is None
        audit = connection.execute(
            sa.select(T["audit_log"].c.action, T["audit_log"].c.actor_id)
        ).all()
    assert [tuple(row) for row in audit][-1] == ("staff_add", ADA)


def test_a_demoted_then_deactivated_person_loses_access_at_the_next_click(crm):
    at = signed_in(app(), SAL).run()
    at.switch_page("pages/all_leads.py").run()
    assert title(at) == "All leads"
    accounts.set_role(crm, actor_id=ADA, staff_id=SAL, role="executive")
    at.run()  # Sal's next click
    assert title(at) == "Sales dashboard"  # All leads is no longer Sal's: the default page
    assert registered(at) == EXPECTED_PAGES["executive"]
    accounts.set_active(crm, actor_id=ADA, staff_id=SAL, active=False)
    at.run()
    assert title(at) == "Sign in to Starboard"
    assert at.info[0].value == "Your account is no longer active: ask an admin."
    assert STAFF_KEY not in at.session_state


def test_the_role_is_read_from_the_crm_once_a_click(crm):
    # A page asks who is looking at every query (All leads: about 10 times a view); one read
    # a click is enough, and the next click reads again (the test above).
    at = signed_in(app(), SAL).run()
    at.switch_page("pages/all_leads.py").run()
    reads = []

    def count(_connection, _cursor, statement, *_):
        if "FROM staff" in statement and "WHERE staff.id" in statement:
            reads.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    try:
        at.run()
        assert len(reads) == 1
        at.run()
        assert len(reads) == 2
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)


def test_sign_out_is_one_click_and_forgets_the_session(crm):
    at = signed_in(app(), MIA).run()
    at.switch_page("pages/sales_dashboard.py").run()
    at.selectbox(key="sales.range").select("Today").run()
    at.sidebar.button(key="sign_out").click().run()
    assert title(at) == "Sign in to Starboard"
    assert at.info[0].value == "You signed out."
    assert STAFF_KEY not in at.session_state and "sales.range" not in at.session_state


@pytest.mark.parametrize(
    ("minutes_idle", "setting", "signed_out"),
    [(59, None, False), (61, None, True), (4, "5", False), (6, "5", True)],
)
def test_a_session_ends_after_the_idle_time(crm, monkeypatch, minutes_idle, setting, signed_out):
    if setting:
        monkeypatch.setenv("STARBOARD_IDLE_MINUTES", setting)
    at = signed_in(app(), MIA)
    at.session_state[ACTIVITY_KEY] = time.time() - minutes_idle * 60
    at.run()
    assert (title(at) == "Sign in to Starboard") == signed_out
    if signed_out:
        limit = int(setting or 60)
        assert at.info[0].value == (
            f"You were signed out after {limit} minutes without a click: sign in again."
        )


# No client contact reaches an executive ---------------------------------------------------------

# Every page of PAGES behind a router that offers them all: a page an executive cannot open
# must still hold nothing for them, should it ever be offered.
EVERY_PAGE_ROUTER = f"""
from pathlib import Path
import streamlit as st
from dashboard import viewer
from dashboard.navigation import PAGES

st.set_page_config(layout="wide")
viewer.routed()
folder = Path({str(REPO_ROOT / "pages")!r})
pages = [st.Page(folder / spec.file, title=spec.title, default=spec.default) for spec in PAGES]
st.navigation(pages).run()
"""


def every_page_output(staff_id: int) -> dict[str, str]:
    at = signed_in(AppTest.from_string(EVERY_PAGE_ROUTER, default_timeout=APP_TIMEOUT_S), staff_id)
    at.run()
    shown = {}
    for spec in PAGES:
        at.switch_page(str(REPO_ROOT / "pages" / spec.file)).run()
        assert not at.exception, spec.file
        text = output(at)
        if spec.file == "log_report.py":  # the events of one AM on one day: Alan's on 03-10
            at.selectbox(key="log.am").select("Alan Ames").run()
            text += output(at)
        shown[spec.file] = text
    return shown


def contacts_in(text: str) -> list[str]:
    return [contact for contact in CLIENT_EMAILS + CLIENT_PHONES if contact in text]


def test_a_manager_does_see_the_contacts_written_into_tickets_and_notes(crm):
    """The control for the test below: the pages do carry clients' contacts to a manager."""
    shown = every_page_output(MIA)
    assert contacts_in(shown["support_issues.py"]) == ["ben@mail.example", "+447000000002"]
    assert contacts_in(shown["log_report.py"]) == ["ana@mail.example", "+447000000001"]


def test_every_page_rendered_for_an_executive_holds_no_client_email_or_phone(crm):
    shown = every_page_output(EVE)
    assert {page: contacts_in(text) for page, text in shown.items()} == {
        spec.file: [] for spec in PAGES
    }
    assert "•••" in shown["support_issues.py"]  # the ticket is there, its contacts masked


def test_no_page_renders_text_as_html():
    """CRM text (a lead's name, a note, a subject) is never handed to the browser as HTML."""
    sources = [REPO_ROOT / "dashboard_app.py", *(REPO_ROOT / "pages").glob("*.py")]
    sources += (REPO_ROOT / "dashboard").glob("*.py")
    offending = [
        f"{path.relative_to(REPO_ROOT)}: {needle}"
        for path in sources
        for needle in ("unsafe_allow_html=True", "st.html(", "components.html(", "st.iframe(")
        if needle in path.read_text()
    ]
    assert offending == []


# The Staff page's role form (issue 26, item 11) -------------------------------------------------


def staff_role_of(engine: sa.Engine, staff_id: int) -> tuple:
    with engine.connect() as connection:
        return tuple(
            connection.execute(
                sa.select(T["staff"].c.role, T["staff"].c.desk).where(T["staff"].c.id == staff_id)
            ).one()
        )


def test_a_role_change_starts_from_the_current_role_and_admin_needs_a_confirmation(crm):
    at = signed_in(app(), ADA).run()
    at.switch_page("pages/staff.py").run()
    at.selectbox(key="staff.chosen").select(ALAN).run()
    form = f"staff.role.{ALAN}"
    assert at.selectbox(key=f"{form}.role").value == "account_manager"  # not "admin"
    assert at.selectbox(key=f"{form}.desk").value == "conversion"
    set_role = next(button for button in at.button if button.label == "Set role")

    set_role.click().run()  # nothing chosen: nothing changes
    assert [error.value for error in at.error] == [
        "Alan Ames is account manager already: choose another role, desk or team."
    ]
    at.selectbox(key=f"{form}.role").select("admin")
    next(button for button in at.button if button.label == "Set role").click().run()
    assert [error.value for error in at.error] == [
        "Making Alan Ames an admin gives every right: tick the box to confirm it."
    ]
    assert staff_role_of(crm, ALAN) == ("account_manager", "conversion")

    at.selectbox(key=f"{form}.role").select("admin")
    at.checkbox(key=f"{form}.admin_confirmed").check()
    next(button for button in at.button if button.label == "Set role").click().run()
    assert not at.error
    assert [message.value for message in at.success] == ["Alan Ames is now an admin."]
    assert staff_role_of(crm, ALAN) == ("admin", None)


def test_adding_a_person_needs_a_role_chosen_and_an_admin_confirmed(crm):
    at = signed_in(app(), ADA).run()
    at.switch_page("pages/staff.py").run()
    assert at.selectbox(key="staff.add.role").value is None  # not "admin"

    def add(role: str | None, confirmed: bool = False) -> None:
        at.text_input(key="staff.add.name").input("Nora New")
        at.text_input(key="staff.add.email").input("nora@b.example")
        if role is not None:
            at.selectbox(key="staff.add.role").select(role)
        if confirmed:
            at.checkbox(key="staff.add.admin_confirmed").check()
        at.text_input(key="staff.add.password").input("nora's long password")
        next(button for button in at.button if button.label == "Add").click().run()

    add(None)
    assert [error.value for error in at.error] == ["Choose the person's role: nothing was added."]
    add("admin")
    assert [error.value for error in at.error] == [
        "A new admin gets every right: tick the box to confirm it. Nothing was added."
    ]
    with crm.connect() as connection:
        emails = connection.execute(sa.select(T["staff"].c.email)).scalars().all()
    assert "nora@b.example" not in emails
    add("admin", confirmed=True)
    assert not at.error
    assert [message.value for message in at.success] == ["Nora New added as an admin (staff 8)."]


def test_another_role_than_admin_needs_no_confirmation(crm):
    at = signed_in(app(), ADA).run()
    at.switch_page("pages/staff.py").run()
    at.selectbox(key="staff.chosen").select(EVE).run()
    at.selectbox(key=f"staff.role.{EVE}.role").select("sales_manager")
    next(button for button in at.button if button.label == "Set role").click().run()
    assert [message.value for message in at.success] == ["Eve Exec is now a sales manager."]
    assert staff_role_of(crm, EVE) == ("sales_manager", None)
