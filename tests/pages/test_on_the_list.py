"""A lead assigned but not starred says so on every list and on its page (issue 22, item 2):
an AM works only their starred leads, so "assigned to Alan Ames, not on the list yet" is what
the manager must read beside the AM. On the hand-built CRM (tests/etl/small_crm.py) at AS_OF.

Hand-worked: Ben Hall (Bea's) is the only starred lead; Ana Lima (Alan's) and Cara Vogel
(Cid's) are owned, not starred; Dan Saleh is nobody's. Ana is online now, and both declined
deposits (Ana's 250.00 BRL on 03-10, Ben's on 03-09) are on Failed deposits; Cara's 50.00 EUR
of 03-10 is on New deposits (owned). All leads lists Ben, Ana, Cara, Dan (rows 0-3).
"""

from __future__ import annotations

import pytest

from tests.pages.test_actions import ALAN, MIA, select, shown, submit
from tests.pages.test_lead_page import open_lead, text

# (AM, on the AM's list) as the tables show them side by side.
NOT_YET = "not on the list yet"
BEN = ("Bea Brook", "on the list")
ANA = ("Alan Ames", NOT_YET)
CARA = ("Cid Cole", NOT_YET)
NOBODY = ("", "")


def on_list(at, key: str) -> dict[str, tuple[str, str]]:
    rows = shown(at, key)
    return dict(
        zip(rows["lead_name"], zip(rows["am_name"], rows["on_list"], strict=True), strict=True)
    )


@pytest.mark.parametrize(
    ("page", "key", "expected"),
    [
        (
            "pages/all_leads.py",
            "all_leads.table",
            {"Ben Hall": BEN, "Ana Lima": ANA, "Cara Vogel": CARA, "Dan Saleh": NOBODY},
        ),
        ("pages/failed_deposits.py", "failed_deposits.table", {"Ben Hall": BEN, "Ana Lima": ANA}),
        ("pages/online_advanced.py", "online_advanced.table", {"Ana Lima": ANA}),
        ("pages/star_board.py", "star.leads", {"Ben Hall": BEN}),
    ],
)
def test_every_list_says_whether_the_lead_is_on_its_ams_list(
    open_page, small_warehouse, page, key, expected
):
    at = open_page(page, small_warehouse, staff_id=MIA)
    assert not at.exception, at.exception
    assert on_list(at, key) == expected
    # Beside the AM it names.
    columns = list(shown(at, key).columns)
    assert columns[columns.index("am_name") + 1] == "on_list"


def test_new_deposits_and_last_logged_in_say_it_too(open_page, small_warehouse):
    at = open_page("pages/new_deposits.py", small_warehouse, staff_id=MIA)
    at.radio(key="new_deposits.kind").set_value("On AM-owned accounts (target board)").run()
    # Ana's FTD of 03-09 (Alan's) and Cara's 50.00 EUR of 03-10 (Cid's).
    assert set(on_list(at, "new_deposits.owned").items()) == {
        ("Ana Lima", ANA),
        ("Cara Vogel", CARA),
    }
    at.switch_page("pages/online.py").run()
    online = at.dataframe[0].value  # a list to read, not to select from: no key to find it by
    assert list(zip(online["am_name"], online["on_list"], strict=True)) == [ANA]
    at.switch_page("pages/last_logged_in.py").run()
    assert on_list(at, "last_logged_in.recent")["Ana Lima"] == ANA


def test_an_assignment_without_a_star_says_so_until_the_star(open_page, writable_crm):
    at = open_page("pages/all_leads.py", writable_crm.warehouse, staff_id=MIA)
    select(at, "all_leads.table", 3)  # Dan
    at.selectbox(key="all_leads.assign.am").select(ALAN)
    submit(at, "all_leads.assign").click().run()
    assert on_list(at, "all_leads.table")["Dan Saleh"] == ("Alan Ames", NOT_YET)

    select(at, "all_leads.table", 3)
    submit(at, "all_leads.stars.star").click().run()
    assert on_list(at, "all_leads.table")["Dan Saleh"] == ("Alan Ames", "on the list")


def test_the_lead_page_says_it_beside_the_am(open_page, small_warehouse):
    ana = text(open_lead(open_page, small_warehouse, "1"))
    assert "AM: Alan Ames (Conversion A) · assigned to Alan Ames, not on the list yet" in ana
    ben = text(open_lead(open_page, small_warehouse, "2"))
    assert "AM: Bea Brook (Conversion A) · on Bea Brook's list" in ben
