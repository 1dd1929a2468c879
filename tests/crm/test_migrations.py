"""The migrations build exactly the schema the models describe, and take it down again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command as alembic_command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from crm.db import alembic_config, create_crm_engine
from crm.models import Base


@pytest.fixture
def empty_engine(crm_url):
    engine = create_crm_engine(crm_url)
    yield engine
    engine.dispose()


def table_names(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def differences_from_models(engine: sa.Engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_upgrade_from_empty_builds_the_models_schema(empty_engine):
    engine = empty_engine
    assert table_names(engine) == set()

    alembic_command.upgrade(alembic_config(engine), "head")

    assert table_names(engine) == set(Base.metadata.tables) | {"alembic_version"}
    assert differences_from_models(engine) == []


def test_downgrade_to_base_leaves_nothing_and_upgrade_works_again(empty_engine):
    engine = empty_engine
    config = alembic_config(engine)
    alembic_command.upgrade(config, "head")

    alembic_command.downgrade(config, "base")
    assert table_names(engine) == {"alembic_version"}

    alembic_command.upgrade(config, "head")
    assert table_names(engine) == set(Base.metadata.tables) | {"alembic_version"}
    assert differences_from_models(engine) == []


def test_0013_keeps_each_staff_zone_lets_a_new_one_be_empty_and_undoes_to_utc(empty_engine):
    engine = empty_engine
    config = alembic_config(engine)
    alembic_command.upgrade(config, "0012")
    insert = sa.text(
        "INSERT INTO staff (id, name, email, role, time_zone, is_active, created_at, updated_at) "
        "VALUES (:id, :name, :email, 'admin', :zone, true, :at, :at)"
    )
    at = "2026-03-02 09:00:00.000000"
    with engine.begin() as connection:
        connection.execute(
            insert, {"id": 1, "name": "Ada", "email": "a@b", "zone": "Asia/Tokyo", "at": at}
        )
        with pytest.raises(sa.exc.IntegrityError), connection.begin_nested():
            connection.execute(
                insert, {"id": 2, "name": "Ben", "email": "b@b", "zone": None, "at": at}
            )

    # To the head, 0013 and what came after it, so the schema can be compared with the models.
    alembic_command.upgrade(config, "head")
    with engine.begin() as connection:
        connection.execute(insert, {"id": 2, "name": "Ben", "email": "b@b", "zone": None, "at": at})
        zones = dict(connection.execute(sa.text("SELECT id, time_zone FROM staff")).all())
    assert zones == {1: "Asia/Tokyo", 2: None}
    assert differences_from_models(engine) == []

    alembic_command.downgrade(config, "0012")
    with engine.connect() as connection:
        zones = dict(connection.execute(sa.text("SELECT id, time_zone FROM staff")).all())
    assert zones == {1: "Asia/Tokyo", 2: "UTC"}
    with engine.begin() as connection, pytest.raises(sa.exc.IntegrityError):
        connection.execute(insert, {"id": 3, "name": "Cy", "email": "c@b", "zone": None, "at": at})
