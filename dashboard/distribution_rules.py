"""The Distribution page's rules (issue 25): the ordered list with its switches, and the form
that adds a rule or replaces the rule of that name: any segment, a weighted pool, caps, its
place in the order and the star option. "Edit" fills the form with a rule as it is, so a
manager changes one thing and saves. Changes go through ``crm.actions.distribution`` as the
signed-in manager (``dashboard.distribution.act``)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from crm.actions import distribution as dist
from crm.distribution.rules import Rule, load_rules
from crm.errors import UserError
from crm.models import Staff
from dashboard.distribution import act, listed
from dashboard.viewer import crm_engine

ANY_DESK = ("any desk", "conversion", "retention")
ANY_DEPOSIT = ("any", "deposited", "not_deposited")
FORM = "distribution.form"
LIST_FIELDS = ("languages", "countries", "sources", "affiliates", "campaigns")


def rules_section() -> None:
    with crm_engine().connect() as connection:
        rules = load_rules(connection)
        names = dict(connection.execute(sa.select(Staff.id, Staff.name)).all())
    st.subheader("Rules (first match wins)")
    if rules:
        st.dataframe(
            pd.DataFrame(
                {
                    "#": [rule.position for rule in rules],
                    "Rule": [rule.name for rule in rules],
                    "On": [rule.is_active for rule in rules],
                    "Leads": [rule.describe() for rule in rules],
                    "Pool": [
                        ", ".join(f"{names.get(m.am_id, m.am_id)}×{m.weight}" for m in rule.members)
                        for rule in rules
                    ],
                    "Cap a day": [rule.daily_cap for rule in rules],
                    "Cap open": [rule.open_cap for rule in rules],
                    "Stars": [rule.star for rule in rules],
                }
            ),
            hide_index=True,
            placeholder="",
            key="distribution.rules",
        )
        chosen = st.selectbox("Rule", [rule.name for rule in rules], key="distribution.chosen_rule")
        on, off, edit, remove = st.columns(4)
        on.button("Switch on", key="distribution.on", on_click=_switch, args=(chosen, True))
        off.button("Switch off", key="distribution.off", on_click=_switch, args=(chosen, False))
        edit.button(
            "Edit in the form below",
            key="distribution.edit",
            on_click=_fill_form,
            args=(chosen,),
            help="Fills every field of the form with this rule: change what you need and save.",
        )
        remove.button("Remove", key="distribution.remove", on_click=_remove, args=(chosen,))
    _rule_form()


def _rule_form() -> None:
    with crm_engine().connect() as connection:
        ams = _active_ams(connection)
    with st.form("distribution.rule_form", border=True):
        st.markdown("**Add a rule, or replace the rule of that name** (a new rule starts off)")
        st.text_input("Name", key="distribution.form.name", placeholder="EU-EN")
        pool, weights = st.columns(2)
        pool.multiselect("Pool", list(ams), format_func=ams.get, key="distribution.form.pool")
        weights.text_input(
            "Weights (name:weight, comma between; 1 when left out)",
            key="distribution.form.weights",
            placeholder="Ravi Shah:2",
        )
        desk, deposit, hours = st.columns(3)
        desk.selectbox("Desk", ANY_DESK, key="distribution.form.desk")
        deposit.selectbox("Deposit status", ANY_DEPOSIT, key="distribution.form.deposit")
        hours.text_input(
            "Registered in UTC hours (from-until)",
            key="distribution.form.hours",
            placeholder="8-20",
        )
        languages, countries, sources = st.columns(3)
        languages.text_input("Languages (comma between)", key="distribution.form.languages")
        countries.text_input("Countries (comma between)", key="distribution.form.countries")
        sources.text_input("Sources (comma between)", key="distribution.form.sources")
        affiliates, campaigns, position = st.columns(3)
        affiliates.text_input("Affiliates (comma between)", key="distribution.form.affiliates")
        campaigns.text_input("Campaigns (comma between)", key="distribution.form.campaigns")
        position.number_input("Place in the order (0: last)", 0, key="distribution.form.position")
        daily, open_, star = st.columns(3)
        daily.number_input("New leads a day per AM (0: no cap)", 0, key="distribution.form.daily")
        open_.number_input("Open leads per AM (0: no cap)", 0, key="distribution.form.open")
        star.checkbox("Star for the AM now", key="distribution.form.star")
        st.form_submit_button("Save rule", key="distribution.form.save", on_click=_save)


def form_values(rule: Rule, names: dict[int, str], ams: Iterable[int]) -> dict[str, object]:
    """The rule form's fields (by key) holding ``rule`` as it is: saved unchanged, it is the same
    rule. Only active AMs (``ams``) can be in the form's pool; a weight of 1 goes unwritten."""
    active = set(ams)
    pool = [m for m in rule.members if m.am_id in active]
    desks = rule.segment.get("desks")
    values: dict[str, object] = {
        "name": rule.name,
        "pool": [m.am_id for m in pool],
        "weights": ", ".join(f"{names[m.am_id]}:{m.weight}" for m in pool if m.weight != 1),
        "desk": desks[0] if desks and len(desks) == 1 else ANY_DESK[0],
        "deposit": rule.deposit_status or ANY_DEPOSIT[0],
        "hours": ""
        if rule.hour_from is None or rule.hour_until is None
        else f"{rule.hour_from}-{rule.hour_until}",
        "position": rule.position,
        "daily": rule.daily_cap or 0,
        "open": rule.open_cap or 0,
        "star": rule.star,
    }
    for column in LIST_FIELDS:
        values[column] = ", ".join(rule.segment.get(column) or ())
    return {f"{FORM}.{field}": value for field, value in values.items()}


def _fill_form(name: str) -> None:
    """The form holds the rule ``name`` as the CRM has it now (it may have changed since the
    list was drawn)."""
    with crm_engine().connect() as connection:
        rule = next((rule for rule in load_rules(connection) if rule.name == name), None)
        names = dict(connection.execute(sa.select(Staff.id, Staff.name)).all())
        ams = _active_ams(connection)
    if rule is not None:
        st.session_state.update(form_values(rule, names, ams))


def _active_ams(connection: sa.Connection) -> dict[int, str]:
    return dict(
        connection.execute(
            sa.select(Staff.id, Staff.name)
            .where(Staff.role == "account_manager", Staff.is_active)
            .order_by(Staff.name)
        ).all()
    )


def _weighted_pool(names: dict[int, str]) -> dict[int, int]:
    """The chosen AMs with the weights typed beside them ("Ravi Shah:2"), 1 when left out."""
    pool = dict.fromkeys(st.session_state.get("distribution.form.pool") or [], 1)
    by_name = {names[am_id].casefold(): am_id for am_id in pool if am_id in names}
    for item in listed("distribution.form.weights") or []:
        name, _, weight = item.rpartition(":")
        am_id = by_name.get(name.strip().casefold())
        if am_id is None or not weight.strip().isdigit():
            raise UserError(f"weights: {item!r} is not an AM of the pool and a whole number.")
        pool[am_id] = int(weight)
    return pool


def _hours() -> tuple[int, int] | None:
    text = (st.session_state.get("distribution.form.hours") or "").strip()
    if not text:
        return None
    start, _, end = text.partition("-")
    if not (start.strip().isdigit() and end.strip().isdigit()):
        raise UserError(f"registered in {text!r}: write the UTC hours like 8-20.")
    return int(start), int(end)


def _save() -> None:
    state = st.session_state
    segment = {
        column: values
        for column in LIST_FIELDS
        if (values := listed(f"distribution.form.{column}"))
    }
    desk = state.get("distribution.form.desk") or ANY_DESK[0]
    if desk != ANY_DESK[0]:
        segment["desks"] = [desk]
    deposit = state.get("distribution.form.deposit") or ANY_DEPOSIT[0]
    with crm_engine().connect() as connection:
        names = dict(connection.execute(sa.select(Staff.id, Staff.name)).all())
    act(
        "save",
        lambda engine, **who: dist.save_rule(
            engine,
            **who,
            name=state.get("distribution.form.name") or "",
            pool=_weighted_pool(names),
            segment=segment,
            hours=_hours(),
            deposit_status=None if deposit == ANY_DEPOSIT[0] else deposit,
            position=int(state.get("distribution.form.position") or 0) or None,
            daily_cap=int(state.get("distribution.form.daily") or 0) or None,
            open_cap=int(state.get("distribution.form.open") or 0) or None,
            star=bool(state.get("distribution.form.star")),
        ),
    )


def _switch(name: str, on: bool) -> None:
    act("switch", lambda engine, **who: dist.switch_rule(engine, **who, name=name, on=on))


def _remove(name: str) -> None:
    act("remove", lambda engine, **who: dist.remove_rule(engine, **who, name=name))
