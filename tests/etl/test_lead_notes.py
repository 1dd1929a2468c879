"""mart_lead_notes (My leads' manager's note and why the lead is the AM's work), kept by key:
after notes, assignments and a change of AM, an incremental run gives the rows worked out by
hand, and what a full run gives. On the small CRM with Alan's worklist
(tests/pages/test_my_leads_worklist.py describes it)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from crm.models import utcnow
from tests.etl.small_crm import AS_OF, T, assignment, build_small_crm
from tests.etl.test_incremental import etl, snapshot
from tests.pages.test_my_leads_worklist import add_alans_worklist, note
from warehouse import warehouse_paths
from warehouse.reader import Warehouse

LATER = AS_OF + timedelta(minutes=5)
BEA = 3


def lead_notes(paths) -> dict[int, tuple]:
    reader = Warehouse(paths)
    try:
        rows = reader.sql(
            "SELECT lead_id, manager_note, assignment_reason FROM mart_lead_notes "
            "WHERE lead_id > 10 ORDER BY lead_id"
        ).to_pylist()
    finally:
        reader.close()
    return {row["lead_id"]: (row["manager_note"], row["assignment_reason"]) for row in rows}


def test_the_managers_note_and_reason_follow_notes_assignments_and_owners(crm_engine, tmp_path):
    build_small_crm(crm_engine)
    add_alans_worklist(crm_engine)
    paths = warehouse_paths(tmp_path / "incremental.duckdb")
    etl(crm_engine, paths)
    assert lead_notes(paths) == {
        11: ("prefers English, after 18:00 his time", "failed_deposit"),
        12: ("wants to add 500 USD", "upsale"),
        14: (None, "new_lead"),
        15: (None, "follow_up"),
    }
    with crm_engine.begin() as connection:
        # Mia notes Noa; Kai goes to Bea (for a follow-up, by Mia, no note): Alan's own note
        # "left a voicemail" (09:00) is now a manager's, newer than Mia's (08:00).
        # Written now, as the CRM writes (the ETL reads what changed since its last run).
        written = dict(updated_at=utcnow())
        connection.execute(
            sa.insert(T["notes"]).values(
                {**note(13, 14, 1, "speaks French", "03-10 11:00"), **written}
            )
        )
        connection.execute(
            sa.insert(T["assignments"]).values(
                {
                    **assignment(16, 11, 2, BEA, "conversion", "follow_up", "03-10 11:30"),
                    **written,
                }
            )
        )
        connection.execute(
            sa.update(T["leads"])
            .where(T["leads"].c.id == 11)
            .values(am_id=BEA, version=2, **written)
        )
    etl(crm_engine, paths, moment=LATER)
    assert lead_notes(paths) == {
        11: ("left a voicemail", "follow_up"),
        12: ("wants to add 500 USD", "upsale"),
        14: ("speaks French", "new_lead"),
        15: (None, "follow_up"),
    }
    full = warehouse_paths(tmp_path / "full.duckdb")
    etl(crm_engine, full, full=True, moment=LATER)
    assert snapshot(paths) == snapshot(full)
