"""The deposit reviews in bulk (issue 22, item 7), on SQLite and PostgreSQL, on the floor of
``actions_floor`` plus, written here: a declined 100.00 USD wire (Wise, "limit exceeded") on
'owned' (Alice's, version 2) and a declined 80.00 USD card (Adyen, no reason) on new1
(nobody's, version 1); an approved 200.00 USD deposit with Rita on 'kept'. The floor's own
``declined`` deposit is on new2 (nobody's, version 3): 250.00 EUR by card (Stripe),
insufficient funds."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from crm import actions
from crm.actions import ActionRefused
from tests.crm.actions_floor import NOW, T, build_floor, counts, lead, rows


@pytest.fixture
def floor(crm_engine):
    ids = build_floor(crm_engine)
    stamp = {"created_at": NOW - timedelta(days=1), "updated_at": NOW - timedelta(days=1)}
    with crm_engine.begin() as connection:
        for name, on, am, amount, method, provider, status, reason in (
            ("wire", "owned", None, "100.00", "wire", "Wise", "declined", "limit exceeded"),
            ("card", "new1", None, "80.00", "card", "Adyen", "declined", None),
            ("rita", "kept", "Rita", "200.00", "card", "Adyen", "approved", None),
        ):
            ids[name] = connection.execute(
                T["deposit_attempts"].insert().returning(T["deposit_attempts"].c.id),
                {
                    "lead_id": ids[on], "am_id": ids[am] if am else None,
                    "amount": Decimal(amount), "currency": "USD", "amount_usd": Decimal(amount),
                    "method": method, "provider": provider, "status": status,
                    "decline_reason": reason, "is_self_deposit": False, "is_ftd": False, **stamp,
                },
            ).scalar_one()  # fmt: skip
    return crm_engine, ids


def refused(engine, call, match: str) -> None:
    before, leads_before = counts(engine), rows(engine, "leads")
    with pytest.raises(ActionRefused, match=match):
        call()
    assert counts(engine) == before
    assert rows(engine, "leads") == leads_before


def test_many_failed_deposits_go_each_to_its_own_am_with_its_own_decline(floor):
    engine, ids = floor
    result = actions.assign_failed_deposits(
        engine, actor_id=ids["Maria"], action_id="bulk",
        deposits={ids["declined"]: 3, ids["wire"]: 2, ids["card"]: 1}, am_id=ids["Bob"],
        note="Call today.", star=True, now=NOW,
    )  # fmt: skip
    assert result.message == (
        "3 failed deposits assigned with their decline reasons (Alice 1, Bob 2); starred: on "
        "their AMs' lists now."
    )
    history = {row.lead_id: row for row in rows(engine, "assignments")}
    assert {lead_id: (row.to_am_id, row.note) for lead_id, row in history.items()} == {
        ids["new2"]: (
            ids["Bob"],
            "Deposit of 250.00 EUR by card (Stripe) declined: insufficient funds. Call today.",
        ),
        ids["owned"]: (
            ids["Alice"],
            "Deposit of 100.00 USD by wire (Wise) declined: limit exceeded. Call today.",
        ),
        ids["new1"]: (
            ids["Bob"],
            "Deposit of 80.00 USD by card (Adyen) declined: no reason given. Call today.",
        ),
    }
    for name, am, version in (("new2", "Bob", 5), ("owned", "Alice", 4), ("new1", "Bob", 3)):
        row = lead(engine, ids[name])
        assert (row.am_id, row.is_starred, row.version) == (ids[am], True, version)
    actions_audited = sorted(row.action for row in rows(engine, "audit_log"))
    assert actions_audited == ["assign_failed_deposit"] * 3 + ["star"] * 3


def test_a_deposit_with_its_own_words_gets_them_instead_of_the_words_for_all(floor):
    engine, ids = floor
    actions.assign_failed_deposits(
        engine, actor_id=ids["Maria"], action_id="bulk",
        deposits={ids["declined"]: 3, ids["wire"]: 2}, am_id=ids["Bob"], note="Call today.",
        notes={ids["wire"]: "Suggest a card: the wire limit is per day.", ids["declined"]: " "},
        now=NOW,
    )  # fmt: skip
    notes = {row.lead_id: row.note for row in rows(engine, "assignments")}
    assert notes == {
        # Blank words of its own: the words for all.
        ids["new2"]: "Deposit of 250.00 EUR by card (Stripe) declined: insufficient funds. "
        "Call today.",
        ids["owned"]: "Deposit of 100.00 USD by wire (Wise) declined: limit exceeded. Suggest a "
        "card: the wire limit is per day.",
    }


def test_words_for_a_deposit_not_selected_are_refused(floor):
    engine, ids = floor
    refused(
        engine,
        lambda: actions.assign_failed_deposits(
            engine,
            actor_id=ids["Maria"],
            action_id="bulk",
            deposits={ids["wire"]: 2},
            notes={ids["card"]: "hello"},
            now=NOW,
        ),  # fmt: skip
        match=f"deposit {ids['card']} has words but is not selected",
    )


def test_a_bulk_review_refuses_and_writes_nothing(floor):
    engine, ids = floor
    call = dict(actor_id=ids["Maria"], action_id="bulk", now=NOW)
    refused(
        engine,
        lambda: actions.assign_failed_deposits(
            engine, deposits={ids["declined"]: 3, ids["wire"]: 2}, **call
        ),
        f"lead {ids['new2']} has no active AM: choose the AM for the leads nobody owns",
    )
    refused(
        engine,
        lambda: actions.assign_failed_deposits(
            engine, deposits={ids["declined"]: 3, ids["self"]: 1}, am_id=ids["Bob"], **call
        ),
        f"deposit {ids['self']} is not declined",
    )
    refused(
        engine,
        lambda: actions.assign_failed_deposits(
            engine, deposits={ids["declined"]: 2, ids["wire"]: 2}, am_id=ids["Bob"], **call
        ),
        f"lead {ids['new2']} was changed",
    )


def test_owned_deposits_are_recorded_on_their_ams_boards_at_once(floor):
    engine, ids = floor
    result = actions.record_on_target_boards(
        engine, actor_id=ids["Maria"], action_id="boards",
        deposit_ids=[ids["owned_deposit"], ids["rita"]], now=NOW,
    )  # fmt: skip
    assert result.message == (
        "2 deposits, 1,280.00 USD in all, recorded on their AMs' target boards (Alice 1, Rita 1)."
    )
    entries = {
        row.deposit_id: (row.am_id, row.amount_usd) for row in rows(engine, "target_board_entries")
    }
    assert entries == {
        ids["owned_deposit"]: (ids["Alice"], Decimal("1080.00")),
        ids["rita"]: (ids["Rita"], Decimal("200.00")),
    }
    refused(
        engine,
        lambda: actions.record_on_target_boards(
            engine, actor_id=ids["Maria"], action_id="again", deposit_ids=[ids["rita"]], now=NOW
        ),
        "already on Rita's target board",
    )
