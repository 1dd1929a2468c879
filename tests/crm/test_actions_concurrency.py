"""Actions under real parallel connections: no lost update, and a double click writes once.

Threads each hold their own connection from the engine's pool, as Streamlit's script threads
do. Nothing is mocked or slowed down: the races are the ones the database really meets.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from crm import actions
from crm.actions import LeadChanged
from crm.actions.state import LEAD_STATE, lead_state
from tests.crm.actions_floor import T, counts, rows

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
LEADS = 50


def build_floor(engine: sa.Engine) -> tuple[list[int], list[int], list[int]]:
    """Two managers, three conversion AMs, ``LEADS`` new leads at version 1: their ids."""
    stamp = {"created_at": NOW - timedelta(days=1), "updated_at": NOW - timedelta(days=1)}
    with engine.begin() as connection:

        def staff(name: str, role: str) -> int:
            return connection.execute(
                T["staff"].insert().returning(T["staff"].c.id),
                {
                    "name": name,
                    "email": f"{name.lower()}@starboard.test",
                    "role": role,
                    "desk": "conversion" if role == "account_manager" else None,
                    "time_zone": "UTC",
                    "is_active": True,
                    **stamp,
                },
            ).scalar_one()

        managers = [staff("Maria", "lead_manager"), staff("Sam", "sales_manager")]
        ams = [staff(name, "account_manager") for name in ("Alice", "Bob", "Chen")]
        leads = (
            connection.execute(
                T["leads"].insert().returning(T["leads"].c.id, sort_by_parameter_order=True),
                [
                    {
                        "first_name": f"Lead{i}",
                        "last_name": "Test",
                        "email": f"lead{i}@example.com",
                        "phone": "+44700900000",
                        "country": "GB",
                        "time_zone": "Europe/London",
                        "language": "en",
                        "source": "organic",
                        "registered_at": NOW - timedelta(days=1),
                        **stamp,
                    }
                    for i in range(LEADS)
                ],
            )
            .scalars()
            .all()
        )
    return managers, ams, leads


@pytest.mark.parametrize(
    ("crm_url", "threads", "attempts"),
    [
        pytest.param("postgresql", 8, 500, marks=[pytest.mark.postgres, pytest.mark.slow]),
        pytest.param("sqlite", 4, 100),
    ],
    indirect=["crm_url"],
)
def test_parallel_assignments_lose_no_update_and_the_audit_replays_to_the_final_state(
    crm_engine, threads, attempts
):
    managers, ams, leads = build_floor(crm_engine)
    applied: list[tuple[str, int, int]] = []  # action id, lead, the version it wrote
    conflicts: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(number: int) -> None:
        rng = random.Random(number)
        actor = managers[number % len(managers)]
        start.wait()
        for attempt in range(attempts):
            lead_id = rng.choice(leads)
            # What the page showed: read once, then acted on, as a person would.
            with crm_engine.connect() as connection:
                seen = connection.scalar(
                    sa.select(T["leads"].c.version).where(T["leads"].c.id == lead_id)
                )
            action_id = f"t{number}-{attempt}"
            try:
                result = actions.assign(
                    crm_engine,
                    actor_id=actor,
                    action_id=action_id,
                    leads={lead_id: seen},
                    am_id=rng.choice(ams),
                    reason="reassignment",
                    note="spread the load",
                    now=NOW,
                )
            except LeadChanged as conflict:
                assert conflict.lead_id == lead_id and conflict.seen == seen
                conflicts.append(lead_id)
            except BaseException as error:  # noqa: BLE001 - reported below, not swallowed
                errors.append(error)
                return
            else:
                applied.append((action_id, lead_id, result.versions[lead_id]))

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    assert len(applied) + len(conflicts) == threads * attempts
    assert conflicts, "no two assignments met: the test did not test a race"

    # Every applied attempt is audited once, recorded once and in the history once.
    audit = rows(crm_engine, "audit_log")
    assert sorted(a.action_id for a in audit) == sorted(a for a, _, _ in applied)
    assert counts(crm_engine)["applied_actions"] == len(applied)
    assert counts(crm_engine)["assignments"] == len(applied)

    # No lost update: each lead's version counts exactly the assignments applied to it, and
    # no two applied assignments wrote the same version of a lead.
    applied_per_lead = Counter(lead_id for _, lead_id, _ in applied)
    assert len({(lead_id, version) for _, lead_id, version in applied}) == len(applied)
    final = {row.id: row for row in rows(crm_engine, "leads")}
    for lead_id in leads:
        assert final[lead_id].version == 1 + applied_per_lead[lead_id]

    # Replaying the audit log, version by version, ends at every lead's state in the CRM.
    by_lead = defaultdict(list)
    for entry in audit:
        by_lead[entry.lead_id].append(entry)
    for lead_id in leads:
        history = sorted(by_lead[lead_id], key=lambda entry: entry.after["version"])
        replayed = history[0].before if history else lead_state(final[lead_id])
        for entry in history:
            assert entry.before == replayed  # each change starts where the last one ended
            replayed = {name: entry.after[name] for name in LEAD_STATE}
        assert replayed == lead_state(final[lead_id])


@pytest.mark.parametrize(
    "crm_url",
    [pytest.param("postgresql", marks=pytest.mark.postgres), pytest.param("sqlite")],
    indirect=True,
)
def test_a_double_click_racing_the_first_click_writes_once(crm_engine):
    managers, ams, leads = build_floor(crm_engine)
    click = dict(
        actor_id=managers[0],
        action_id="double-click",
        leads={leads[0]: 1},
        am_id=ams[0],
        reason="new_lead",
        now=NOW,
    )
    second: list = []
    with crm_engine.connect().execution_options(sqlite_begin="IMMEDIATE") as first:
        with first.begin():
            # The first click is written but not yet committed when the second one arrives.
            result = actions.assign(first, **click)
            racer = threading.Thread(
                target=lambda: second.append(actions.assign(crm_engine, **click))
            )
            racer.start()
            time.sleep(0.5)
            assert racer.is_alive(), "the second click did not wait for the first"
        racer.join(timeout=30)
    (replayed,) = second
    assert replayed.replayed and not result.replayed
    assert (replayed.message, replayed.versions) == (result.message, result.versions)
    assert counts(crm_engine)["audit_log"] == 1
    assert counts(crm_engine)["assignments"] == 1
    assert rows(crm_engine, "leads", T["leads"].c.id == leads[0])[0].version == 2
