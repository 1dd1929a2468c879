"""Each AM's open leads, which a rule's open cap reads, are counted by the database as leads
change (migration 0011), whoever writes them: the actions, a bulk insert, an admin's SQL. On
SQLite and PostgreSQL, against counts worked out by hand."""

from __future__ import annotations

import sqlalchemy as sa

from crm import actions
from tests.crm.distribution_floor import NOW, T, add_staff, person, register, rule, shifts

LEADS = T["leads"]


def counted(engine) -> dict[int, int]:
    """The kept counts, AMs with none left out."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(T["am_open_leads"])).all()
    return {row.am_id: row.open_leads for row in rows if row.open_leads}


def lead_row(number: int, am_id: int | None, status: str, **extra) -> dict:
    fields = person(number)
    return {
        **fields,
        "am_id": am_id,
        "status": status,
        "created_at": NOW,
        "updated_at": NOW,
        **extra,
    }


def test_the_open_leads_are_counted_as_the_leads_change(crm_engine):
    ana, ben = add_staff(crm_engine, "Ana"), add_staff(crm_engine, "Ben")
    for am in (ana, ben):
        shifts(crm_engine, am)
    assert counted(crm_engine) == {}

    # Four registrations, equal turns: Ana, Ben, Ana, Ben (status assigned: open).
    rule(crm_engine, "All", {ana: 1, ben: 1})
    ids = register(crm_engine, [person(n) for n in range(4)]).details["lead_ids"]
    assert counted(crm_engine) == {ana: 2, ben: 2}

    with crm_engine.begin() as connection:
        # One statement of three leads, as an import or the demo's COPY writes them: two open
        # of Ana's, one converted (not open); and a new lead nobody owns.
        connection.execute(
            LEADS.insert(),
            [
                lead_row(10, ana, "contacted"),
                lead_row(11, ana, "follow_up"),
                lead_row(12, ben, "converted"),
                lead_row(13, None, "new"),
            ],
        )
    assert counted(crm_engine) == {ana: 4, ben: 2}

    with crm_engine.begin() as connection:
        # Ana's first lead deposits (closed); Ben's first is lost (closed); a balance change
        # alone changes nothing.
        connection.execute(LEADS.update().where(LEADS.c.id == ids[0]).values(ftd_at=NOW))
        connection.execute(LEADS.update().where(LEADS.c.id == ids[1]).values(status="lost"))
        connection.execute(LEADS.update().where(LEADS.c.id == ids[2]).values(balance=5))
    assert counted(crm_engine) == {ana: 3, ben: 1}

    # A manager hands Ana's third lead (ids[2], open) to Ben: one fewer for Ana, one more for
    # Ben.
    lead_manager = add_staff(crm_engine, "Mia", role="lead_manager")
    with crm_engine.connect() as connection:
        version = connection.scalar(sa.select(LEADS.c.version).where(LEADS.c.id == ids[2]))
    actions.assign(
        crm_engine,
        actor_id=lead_manager,
        action_id=actions.new_action_id(),
        leads={ids[2]: version},
        am_id=ben,
        reason="reassignment",
        note="Ana is away",
        now=NOW,
    )
    assert counted(crm_engine) == {ana: 2, ben: 2}

    with crm_engine.begin() as connection:
        # One of Ana's open leads from the import is deleted.
        gone = connection.scalar(sa.select(LEADS.c.id).where(LEADS.c.email == "lead11@example.com"))
        connection.execute(LEADS.delete().where(LEADS.c.id == gone))
    assert counted(crm_engine) == {ana: 1, ben: 2}

    # And the counts are what counting the leads says.
    with crm_engine.connect() as connection:
        counts = dict(
            connection.execute(
                sa.select(LEADS.c.am_id, sa.func.count())
                .where(
                    LEADS.c.am_id.is_not(None),
                    LEADS.c.ftd_at.is_(None),
                    LEADS.c.status.in_(["assigned", "contacted", "follow_up"]),
                )
                .group_by(LEADS.c.am_id)
            ).all()
        )
    assert counts == {ana: 1, ben: 2}
