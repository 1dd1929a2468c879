"""A page's address opened by someone whose role may not open it (AppTest from dashboard_app.py).

Streamlit asks the router for the page the browser is on: the address someone typed or
bookmarked, the address they asked for before signing in, or the page they were on when their
role changed. Whatever the role, such a page is not run: the person lands on their role's first
page with one line that says the page is not for their role and where they are instead.

The CRM is test_sign_in.py's: the small hand-built one with an admin (Ada) and a sales manager
(Sal) added. Ada, who opens every page, goes to the page; then the session becomes the other
person's, as a sign-in on that address does. (The admin opens every page: nothing to refuse.)
"""

from __future__ import annotations

import pytest

from dashboard.navigation import PAGES
from dashboard.viewer import STAFF_KEY
from tests.pages.conftest import signed_in
from tests.pages.test_sign_in import (  # noqa: F401 - crm and contacts_warehouse are fixtures
    ADA,
    ALAN,
    EVE,
    EXPECTED_PAGES,
    MIA,
    ROLE_OF,
    SAL,
    app,
    contacts_warehouse,
    crm,
    title,
)

ROLE_WORDS = {
    "executive": "executive",
    "account_manager": "account manager",
    "lead_manager": "lead manager",
    "sales_manager": "sales manager",
}
# Each role's first page, where it lands.
FIRST_PAGE = {
    "executive": "Sales dashboard",
    "account_manager": "My leads",
    "lead_manager": "Sales dashboard",
    "sales_manager": "Sales dashboard",
}
TITLES = {spec.file: spec.title for spec in PAGES}


def not_theirs(role: str) -> list[str]:
    """The pages ``role`` may not open, but the sales dashboard: Ada has it at the root, so her
    session cannot be on its own address (tests/e2e/test_page_addresses.py types it)."""
    return sorted({spec.file for spec in PAGES} - EXPECTED_PAGES[role] - {"sales_dashboard.py"})


@pytest.mark.usefixtures("crm")
@pytest.mark.parametrize("staff_id", [EVE, ALAN, MIA, SAL], ids=lambda i: ROLE_OF[i])
def test_a_page_not_for_the_role_lands_on_its_first_page_saying_so(staff_id):
    role = ROLE_OF[staff_id]
    for name in not_theirs(role):
        at = signed_in(app(), ADA).run()
        at.switch_page(f"pages/{name}").run()
        assert title(at) == TITLES[name]
        at.session_state[STAFF_KEY] = staff_id
        at.run()
        assert not at.exception, name
        assert title(at) == FIRST_PAGE[role], name
        assert [message.value for message in at.info][:1] == [
            f"{TITLES[name]} is not available for your role ({ROLE_WORDS[role]}): you are on "
            f"{FIRST_PAGE[role]} instead."
        ], name
        at.run()  # said once: the next click shows the page alone
        assert f"{TITLES[name]} is not available" not in [m.value for m in at.info]


@pytest.mark.usefixtures("crm")
def test_the_first_page_landed_on_keeps_no_query_it_does_not_read():
    """Ada on the star board with ?lead=4 (a link's leftover), and the session becomes Alan's,
    an account manager: My leads reads no lead, so the address loses ?lead=4 with the page."""
    at = signed_in(app(), ADA)
    at.query_params["lead"] = "4"
    at.run()
    at.switch_page("pages/star_board.py").run()
    assert title(at) == "Star board"
    at.session_state[STAFF_KEY] = ALAN
    at.run()
    assert not at.exception
    assert title(at) == "My leads"
    assert dict(at.query_params) == {}
