"""Every automatic assignment's one-line explanation where people look at leads (issue 25,
item 5): the lead page's timeline, the All leads table's "why assigned" and the log report.

The small CRM (tests/etl/small_crm.py) plus a rule EN (Alan and Bea, equal weights, 40 new
leads a day), both on shift all week (London: UTC in March), and two English leads registered
at 11:00 UTC on 2026-03-10 before the ETL's run at 12:00. Hand-worked: neither AM has a new
lead yet that day (Alan's assignment of 09:30 is a failed deposit, Bea's of 10:01 a follow-up),
equal turns start with the lower id, so Gil goes to Alan and Hana to Bea, each the first of 40
today, on a shift that ends at midnight London time.
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from crm import actions
from crm.actions import distribution as dist
from crm.distribution.availability import Shift
from tests.pages.conftest import ALAN, BEA, MIA, build_warehouse
from tests.pages.test_lead_page import open_lead, timeline

ALL_DAY = [Shift(day, 0, 1440) for day in range(7)]
AT = datetime(2026, 3, 10, 11, 0, tzinfo=timezone.utc)
GIL_WHY = (
    "rule EN → pool of 2; Alan Ames next in rotation; 1 of 40 today; on shift until 00:00 London"
)
HANA_WHY = (
    "rule EN → pool of 2; Bea Brook next in rotation; 1 of 40 today; on shift until 00:00 London"
)


def registered_by_the_rules(lead_ids: list[int]):
    def prepare(engine: sa.Engine) -> None:
        for am in (ALAN, BEA):
            dist.set_shifts(
                engine, actor_id=MIA, action_id=f"shifts-{am}", am_id=am, shifts=ALL_DAY
            )
        dist.save_rule(
            engine,
            actor_id=MIA,
            action_id="rule-en",
            name="EN",
            pool={ALAN: 1, BEA: 1},
            segment={"languages": ["en"]},
            daily_cap=40,
            now=AT,
        )
        dist.switch_rule(engine, actor_id=MIA, action_id="rule-en-on", name="EN", on=True, now=AT)
        people = [
            {
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}@mail.example",
                "phone": phone,
                "country": "GB",
                "time_zone": "Europe/London",
                "language": "en",
                "source": "organic",
            }
            for first, last, phone in (
                ("Gil", "North", "+447000000091"),
                ("Hana", "South", "+447000000092"),
            )
        ]
        result = actions.register_leads(engine, people, action_id="web-1", actor_id=None, now=AT)
        lead_ids.extend(result.details["lead_ids"])

    return prepare


def test_the_explanation_on_the_lead_page_the_lead_table_and_the_log(
    open_page, migrated_sqlite_template, tmp_path
):
    lead_ids: list[int] = []
    warehouse = build_warehouse(
        migrated_sqlite_template, tmp_path / "auto", True, registered_by_the_rules(lead_ids)
    )
    gil, hana = lead_ids

    # The lead page: the assignment's line says it was the rules, and why.
    at = open_lead(open_page, warehouse, str(gil))
    assert not at.exception
    assert (
        "2026-03-10 11:00",
        "Assigned",
        "",
        f"nobody → Alan Ames; by the distribution rules: {GIL_WHY}",
    ) in timeline(at)

    # All leads: the explanation beside the AM; blank where a person assigned the lead (Ben,
    # Bea's by a manager) or nobody has it (Dan).
    at = open_page("pages/all_leads.py", warehouse)
    assert not at.exception
    table = at.dataframe[0].value.set_index("lead_name")
    assert table.loc[
        ["Gil North", "Hana South", "Ben Hall", "Dan Saleh"], "why_assigned"
    ].tolist() == [
        GIL_WHY,
        HANA_WHY,
        "",
        "",
    ]
    assert table.loc[["Gil North", "Hana South"], "am_name"].tolist() == ["Alan Ames", "Bea Brook"]

    # The log report: Alan's day, newest first, starts with the automatic assignment of Gil.
    at = open_page("pages/log_report.py", warehouse)
    at.selectbox(key="log.am").select("Alan Ames").run()
    events = at.dataframe[1].value
    assert events["lead_name"].tolist()[0] == "Gil North"
    assert events["summary"].tolist()[0] == f"assigned by the distribution rules: {GIL_WHY}"
    assert not at.exception
