"""After an action a page's rows and counts hold to its filters at once (issue 22, item 4),
with no ETL run: a lead assigned from the new leads, moved to the other desk, or a failed
deposit reviewed under "open only" leaves the list and its count. On the hand-built CRM
(tests/etl/small_crm.py) at AS_OF.

Hand-worked: Dan Saleh (4) is the only new lead (nobody's, conversion). The conversion desk
holds Ben (2), Ana (1, a client: FTD on 03-09) and Dan; Cara (3) is on retention. Failed
deposits, open only: deposit 5 (Ben's, 3-D Secure failed) alone, deposit 2 (Ana's) was
reviewed at 09:30.
"""

from __future__ import annotations

from tests.pages.conftest import captions, metrics
from tests.pages.test_actions import ALAN, BEA, CID, MIA, lead, select, shown, submit, toasts
from tests.pages.test_after_an_action import crm  # noqa: F401  (a fixture)


def names(at, key: str) -> list[str]:
    return shown(at, key)["lead_name"].tolist()


def test_a_new_lead_assigned_leaves_the_new_leads_at_once(open_page, writable_crm, crm):  # noqa: F811
    at = open_page("pages/all_leads.py", writable_crm.warehouse, staff_id=MIA)
    at.toggle(key="all_leads.new").set_value(True).run()
    assert names(at, "all_leads.table") == ["Dan Saleh"]
    select(at, "all_leads.table", 0)
    at.selectbox(key="all_leads.assign.am").select(ALAN)
    submit(at, "all_leads.assign").click().run()

    assert toasts(at)
    assert lead(crm, 4)["am_id"] == ALAN
    assert "No leads match these filters." in [info.value for info in at.info]
    assert not [frame for frame in at.dataframe if "lead_name" in frame.value]


def test_a_lead_moved_to_retention_leaves_the_conversion_desk_and_its_count(
    open_page,
    writable_crm,
    crm,  # noqa: F811
):
    at = open_page("pages/all_leads.py", writable_crm.warehouse, staff_id=MIA)
    at.selectbox(key="all_leads.desk").select("conversion").run()
    assert names(at, "all_leads.table") == ["Ben Hall", "Ana Lima", "Dan Saleh"]
    assert "3 leads" in captions(at)
    select(at, "all_leads.table", 1)  # Ana, a client (FTD on 03-09): the retention desk takes her
    at.selectbox(key="all_leads.assign.reason").select("retention").run()
    at.selectbox(key="all_leads.assign.am").select(CID)
    submit(at, "all_leads.assign").click().run()

    assert lead(crm, 1)["desk"] == "retention"
    assert names(at, "all_leads.table") == ["Ben Hall", "Dan Saleh"]
    assert "2 leads" in captions(at)
    assert "3 leads" not in captions(at)


def test_a_reviewed_failed_deposit_leaves_the_open_ones_at_once(open_page, writable_crm, crm):  # noqa: F811
    at = open_page("pages/failed_deposits.py", writable_crm.warehouse, staff_id=MIA)
    at.toggle(key="failed_deposits.open").set_value(True).run()
    assert shown(at, "failed_deposits.table")["deposit_id"].tolist() == [5]
    select(at, "failed_deposits.table", 0)
    submit(at, "failed_deposits.review").click().run()

    assert toasts(at)
    assert "No declined deposits match these filters." in [info.value for info in at.info]
    # Without "open only" it is there, reviewed.
    at.toggle(key="failed_deposits.open").set_value(False).run()
    table = shown(at, "failed_deposits.table").set_index("deposit_id")
    assert table["is_reviewed"].astype(bool).to_dict() == {5: True, 2: True}


def test_my_leads_counts_a_call_at_once(open_page, writable_crm, crm):  # noqa: F811
    # Bea's calls on 03-10 before: Ben's at 10:00 (busy). Then she logs "connected" on Ben.
    at = open_page("pages/my_leads.py", writable_crm.warehouse, staff_id=BEA)
    tiles = metrics(at)
    assert [tiles[label][0] for label in ("Calls", "Connected calls", "Call ratio")] == [
        "1",
        "0",
        "0.0 %",
    ]
    select(at, "my_leads.table", 0)  # Ben
    at.radio(key="my_leads.call.outcome").set_value("connected").run()
    submit(at, "my_leads.call").click().run()

    assert not at.error
    tiles = metrics(at)
    assert [tiles[label][0] for label in ("Calls", "Connected calls", "Call ratio")] == [
        "2",
        "1",
        "50.0 %",
    ]
