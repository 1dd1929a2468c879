"""The Distribution page (issue 25): a lead manager creates a rule, replays yesterday, switches it
on, and new registrations (the simulator's path, crm.actions.register_leads) land on the right
AMs with their explanations; today's table shows what each received against the cap."""

from __future__ import annotations

import sqlalchemy as sa

from crm import actions
from crm.actions import distribution as dist
from crm.db import create_crm_engine
from crm.distribution.availability import Shift
from tests.etl.small_crm import AS_OF
from tests.pages.conftest import ALAN, BEA, MIA

PAGE = "pages/distribution.py"
ALL_DAY = [Shift(day, 0, 1440) for day in range(7)]


def table_with(at, column: str):
    """The shown table that has ``column`` (AppTest does not give a dataframe's key)."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def test_a_lead_manager_makes_a_rule_replays_yesterday_and_switches_it_on(open_page, writable_crm):
    engine = create_crm_engine(writable_crm.url)
    for am in (ALAN, BEA):
        dist.set_shifts(engine, actor_id=MIA, action_id=f"shifts-{am}", am_id=am, shifts=ALL_DAY)
    at = open_page(PAGE, writable_crm.warehouse, staff_id=MIA)
    assert not at.exception, at.exception
    assert "No rule yet" in " ".join(info.value for info in at.info)

    at.text_input(key="distribution.form.name").input("EN")
    at.multiselect(key="distribution.form.pool").select(ALAN).select(BEA)
    at.text_input(key="distribution.form.languages").input("en")
    at.number_input(key="distribution.form.daily").set_value(40)
    at.button(key="distribution.form.save").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [
        "rule EN added (switched off: replay it, then switch it on): pool of 2."
    ]

    # Yesterday (03-09) two leads registered: Ben at 09:00 (Bea's now) and the bad row at
    # 11:00 (nobody's). Equal turns from the lower id: Ben to Alan, the bad row to Bea.
    at.button(key="distribution.replay").click().run()
    assert not at.error, [e.value for e in at.error]
    replay = table_with(at, "Would receive")
    assert replay.to_dict("list") == {
        "AM": ["Alan Ames", "Bea Brook"],
        "Would receive": [1, 1],
        "Really received": [0, 1],
    }

    at.selectbox(key="distribution.chosen_rule").select("EN")
    at.button(key="distribution.on").click().run()
    assert [s.value for s in at.success] == ["rule EN switched on."]

    # The simulator registers at its clock: the page's pinned moment here.
    now = AS_OF
    people = [
        {
            "first_name": f"New{n}",
            "last_name": "Lead",
            "email": f"new{n}@mail.example",
            "phone": f"+4470000009{n}",
            "country": "GB",
            "time_zone": "Europe/London",
            "language": "en",
            "source": "organic",
        }
        for n in range(3)
    ]
    registered = actions.register_leads(
        engine, people, action_id="sim-1", actor_id=None, now=now
    ).details["lead_ids"]
    with engine.connect() as connection:
        given = connection.execute(
            sa.text(
                "SELECT lead_id, to_am_id, note FROM assignments WHERE reason = 'auto' "
                "ORDER BY lead_id"
            )
        ).all()
    assert [(row.lead_id, row.to_am_id) for row in given] == [
        (registered[0], ALAN),
        (registered[1], BEA),
        (registered[2], ALAN),
    ]
    assert given[0].note.startswith(
        "rule EN → pool of 2; Alan Ames next in rotation; 1 of 40 today"
    )
    assert given[2].note.startswith(
        "rule EN → pool of 2; Alan Ames next in rotation; 2 of 40 today"
    )

    at.run()
    # Today's automatic assignments, newest registration first, each with the rules' why.
    assigned = table_with(at, "Why assigned")
    shift = "on shift until 00:00 London"
    assert assigned[["Lead #", "AM", "Why assigned"]].to_dict("list") == {
        "Lead #": [registered[2], registered[1], registered[0]],
        "AM": ["Alan Ames", "Bea Brook", "Alan Ames"],
        "Why assigned": [
            f"rule EN → pool of 2; Alan Ames next in rotation; 2 of 40 today; {shift}",
            f"rule EN → pool of 2; Bea Brook next in rotation; 1 of 40 today; {shift}",
            f"rule EN → pool of 2; Alan Ames next in rotation; 1 of 40 today; {shift}",
        ],
    }
    today = table_with(at, "Received today")
    assert today[["AM", "Received today"]].to_dict("list") == {
        "AM": ["Alan Ames", "Bea Brook"],
        "Received today": ["2 of 40", "1 of 40"],
    }
    engine.dispose()
