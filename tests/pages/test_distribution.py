"""The Distribution page (issue 25): a lead manager creates a rule, replays yesterday, switches it
on, and new registrations (the simulator's path, crm.actions.register_leads) land on the right
AMs with their explanations; today's table shows what each received against the cap."""

from __future__ import annotations

from datetime import timedelta

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


def test_a_lead_manager_switches_on_returning_leads_and_sees_times_in_her_zone(
    open_page, writable_crm
):
    """The page's option for returning leads; an unowned lead who then logs in after 30 days
    away lands on an AM with why; the page shows the time in Mia's zone (Nicosia, UTC+2 in
    March), not UTC."""
    engine = create_crm_engine(writable_crm.url)
    registered = AS_OF - timedelta(days=30)
    (lead_id,) = actions.register_leads(
        engine,
        [
            {
                "first_name": "Omar",
                "last_name": "Back",
                "email": "omar@mail.example",
                "phone": "+447000000777",
                "country": "GB",
                "time_zone": "Europe/London",
                "language": "en",
                "source": "organic",
                "registered_at": registered,
            }
        ],
        action_id="omar",
        now=registered,
    ).details["lead_ids"]
    for am in (ALAN, BEA):
        dist.set_shifts(engine, actor_id=MIA, action_id=f"shifts-{am}", am_id=am, shifts=ALL_DAY)
    dist.save_rule(
        engine, actor_id=MIA, action_id="en", name="EN", pool={ALAN: 1, BEA: 1}, daily_cap=40
    )
    dist.switch_rule(engine, actor_id=MIA, action_id="en-on", name="EN", on=True)

    at = open_page(PAGE, writable_crm.warehouse, staff_id=MIA, time_zone="Asia/Nicosia")
    assert not at.exception, at.exception
    assert at.checkbox(key="distribution.runs.returning").value is False
    assert at.number_input(key="distribution.runs.days").value == 14
    at.checkbox(key="distribution.runs.returning").check()
    at.number_input(key="distribution.runs.days").set_value(10)
    at.button(key="distribution.runs.save").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [
        "the rules also run for: returning leads after 10 days away; failed deposits off."
    ]

    # The platform reports Omar's login at 12:00 UTC (the ingest API's action).
    actions.record_platform_event(
        engine,
        {
            "event_id": "login-omar",
            "type": "login",
            "lead": {"id": lead_id},
            "session_id": "omar-1",
            "occurred_at": AS_OF,
            "device": "web",
            "balance": None,
            "currency": None,
        },
        action_id="login-omar",
        now=AS_OF,
    )
    at.run()
    assigned = table_with(at, "Why assigned")
    assert assigned[["Assigned", "Lead #", "AM", "Why assigned"]].to_dict("list") == {
        "Assigned": ["14:00"],
        "Lead #": [lead_id],
        "AM": ["Alan Ames"],
        "Why assigned": [
            "returned after 30 days away; rule EN → pool of 2; Alan Ames next in rotation; "
            "1 of 40 today; on shift until 00:00 London"
        ],
    }
    assert "times in Asia/Nicosia" in " ".join(c.value for c in at.caption)
    engine.dispose()


def test_the_rule_form_takes_every_segment_weights_and_a_place(open_page, writable_crm):
    at = open_page(PAGE, writable_crm.warehouse, staff_id=MIA)
    at.text_input(key="distribution.form.name").input("Retention UK")
    at.multiselect(key="distribution.form.pool").select(ALAN).select(BEA)
    at.text_input(key="distribution.form.weights").input("Bea Nobody:3")
    at.button(key="distribution.form.save").click().run()
    assert [e.value for e in at.error] == [
        "weights: 'Bea Nobody:3' is not an AM of the pool and a whole number."
    ]
    at.text_input(key="distribution.form.weights").input("bea brook:3")
    at.selectbox(key="distribution.form.desk").select("conversion")
    at.selectbox(key="distribution.form.deposit").select("not_deposited")
    at.text_input(key="distribution.form.hours").input("8-20")
    at.text_input(key="distribution.form.countries").input("gb, ie")
    at.text_input(key="distribution.form.affiliates").input("aff-7")
    at.text_input(key="distribution.form.campaigns").input("spring")
    at.button(key="distribution.form.save").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [
        "rule Retention UK added (switched off: replay it, then switch it on): pool of 2."
    ]
    rules = table_with(at, "Pool")
    assert rules[["Rule", "Leads", "Pool"]].to_dict("list") == {
        "Rule": ["Retention UK"],
        "Leads": [
            "desks: conversion; countries: GB, IE; affiliates: aff-7; campaigns: spring; "
            "registered 08:00-20:00 UTC; not deposited"
        ],
        "Pool": ["Alan Ames×1, Bea Brook×3"],
    }


def test_edit_fills_the_form_with_a_rule_so_one_change_saves_alone(open_page, writable_crm):
    """Every field of Retention UK in the form after "Edit"; the daily cap changed from 40 to
    30 and saved: the rule is as it was but for that cap, still second in the order."""
    from dataclasses import replace

    from crm.distribution.rules import load_rules

    engine = create_crm_engine(writable_crm.url)
    save = {"actor_id": MIA}
    dist.save_rule(engine, **save, action_id="r1", name="Everyone", pool={ALAN: 1})
    dist.save_rule(
        engine,
        **save,
        action_id="r2",
        name="Retention UK",
        pool={ALAN: 1, BEA: 3},
        segment={
            "desks": ["retention"],
            "languages": ["en"],
            "countries": ["GB", "IE"],
            "sources": ["web"],
            "affiliates": ["aff-7"],
            "campaigns": ["spring"],
        },
        hours=(8, 20),
        deposit_status="deposited",
        daily_cap=40,
        open_cap=12,
        star=True,
    )
    with engine.connect() as connection:
        before = {rule.name: rule for rule in load_rules(connection)}
    at = open_page(PAGE, writable_crm.warehouse, staff_id=MIA)
    at.selectbox(key="distribution.chosen_rule").select("Retention UK").run()
    at.button(key="distribution.edit").click().run()
    assert not at.exception, at.exception
    form = "distribution.form"
    assert at.text_input(key=f"{form}.name").value == "Retention UK"
    assert at.multiselect(key=f"{form}.pool").value == [ALAN, BEA]
    assert at.text_input(key=f"{form}.weights").value == "Bea Brook:3"
    assert at.selectbox(key=f"{form}.desk").value == "retention"
    assert at.selectbox(key=f"{form}.deposit").value == "deposited"
    assert at.text_input(key=f"{form}.hours").value == "8-20"
    assert at.text_input(key=f"{form}.languages").value == "en"
    assert at.text_input(key=f"{form}.countries").value == "GB, IE"
    assert at.text_input(key=f"{form}.sources").value == "web"
    assert at.text_input(key=f"{form}.affiliates").value == "aff-7"
    assert at.text_input(key=f"{form}.campaigns").value == "spring"
    assert at.number_input(key=f"{form}.position").value == 2
    assert at.number_input(key=f"{form}.daily").value == 40
    assert at.number_input(key=f"{form}.open").value == 12
    assert at.checkbox(key=f"{form}.star").value is True

    at.number_input(key=f"{form}.daily").set_value(30)
    at.button(key=f"{form}.save").click().run()
    assert not at.exception, at.exception
    with engine.connect() as connection:
        after = {rule.name: rule for rule in load_rules(connection)}
    assert after["Everyone"] == before["Everyone"]
    assert after["Retention UK"] == replace(before["Retention UK"], daily_cap=30)
    engine.dispose()
