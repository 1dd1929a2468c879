"""One bad row never breaks a page for everyone (issue 26).

The small brokerage gets rows holding a bad value of one kind each, written as another program
would write them (raw SQL; on SQLite with CHECK constraints and foreign keys off, which SQLite
lets any connection do; on PostgreSQL after a DBA dropped the CHECK constraints). The ETL must
finish, put each bad row in quarantine with a reason or keep it harmlessly (each kind in
tests/etl/bad_rows.py says which), give the same warehouse incrementally as in full, and every
page query must still run with the parameters its page passes.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.etl_run import page_query_cases
from crm import live
from crm.db import create_crm_engine
from tests.etl.bad_rows import RUN_AT, Bad, fix_rows, kinds_for, write_bad_rows
from tests.etl.small_crm import AS_OF, build_small_crm
from tests.etl.test_incremental import etl, snapshot
from warehouse import QUERIES_DIR, warehouse_paths
from warehouse.reader import Warehouse

# ----------------------------------------------------------------------------- the CRMs


@dataclass
class CleanCrm:
    """The small brokerage, loaded once; each example starts from copies of it."""

    dialect: str
    url: str
    warehouse: Path

    def copy(self, folder: Path, server) -> tuple[sa.Engine, Path, callable]:
        shutil.copytree(self.warehouse.parent, folder / "wh", symlinks=True)
        warehouse = folder / "wh" / self.warehouse.name
        if self.dialect == "sqlite":
            path = folder / "crm.sqlite"
            shutil.copyfile(self.url.removeprefix("sqlite:///"), path)
            return create_crm_engine(f"sqlite:///{path}"), warehouse, lambda: None
        name = server.create_database(template=self.url.rsplit("/", 1)[1])
        return create_crm_engine(server.url(name)), warehouse, lambda: server.drop_database(name)


def drop_check_constraints(engine: sa.Engine) -> None:
    """What a DBA who loosened the schema for another program leaves behind."""
    with engine.begin() as connection:
        checks = connection.exec_driver_sql(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'c' "
            "AND connamespace = 'public'::regnamespace"
        ).all()
        for table, name in checks:
            connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')


@pytest.fixture(
    scope="module",
    params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def clean_crm(request, tmp_path_factory) -> CleanCrm:
    folder = tmp_path_factory.mktemp(f"clean-{request.param}")
    if request.param == "sqlite":
        path = folder / "crm.sqlite"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        server = request.getfixturevalue("postgres_server")
        template = request.getfixturevalue("migrated_postgres_template")
        url = server.url(server.create_database(template=template))
    engine = create_crm_engine(url)
    try:
        build_small_crm(engine)
        if request.param == "postgresql":
            drop_check_constraints(engine)
        warehouse = warehouse_paths(folder / "wh" / "warehouse.duckdb")
        etl(engine, warehouse)
    finally:
        engine.dispose()
    return CleanCrm(request.param, url, warehouse.link)


# ----------------------------------------------------------------------------- the checks


def check_warehouse(engine, paths, written: dict[tuple[str, str], Bad], fixed: set) -> None:
    """Each bad row quarantined with its reason, or kept; each fixed row back; every page query
    runs with its page's parameters and the CRM's live rows (who is online, the payments since
    the day before) read as the real-time pages read them; the kept leads are shown."""
    live_rows = {
        "live_online": live.online_leads(engine, AS_OF),
        "live_payments": live.payments_since(engine, AS_OF - timedelta(days=1)),
    }
    reader = Warehouse(paths)
    try:
        quarantine = {
            (row["table_name"], row["row_key"]): row["reason"]
            for row in reader.sql("SELECT table_name, row_key, reason FROM quarantine").to_pylist()
        }
        for key, kind in written.items():
            found = quarantine.get(key)
            if kind.quarantined is None or key in fixed:
                assert found is None, (kind.name, found)
            else:
                assert kind.quarantined in (found or ""), (kind.name, found)
        kept_leads = sorted(
            int(key)
            for (table, key), kind in written.items()
            if table == "leads" and (not kind.quarantined or (table, key) in fixed)
        )
        clock = dict(now=AS_OF, first_minute=540, end_minute=1200)
        cases = page_query_cases(AS_OF.date(), AS_OF, lead_ids=[1, 2, 3, 4, 5, *kept_leads])
        for label, (name, params) in cases.items():
            try:
                reader.query(name, tables=live_rows, **params)
            except duckdb.Error as error:
                pytest.fail(f"{label}: {error}")
        shown = reader.query("leads_by_id", lead_ids=kept_leads, **clock)
        assert sorted(shown["lead_id"].to_pylist()) == kept_leads
    finally:
        reader.close()


def run_with_bad_rows(
    clean: CleanCrm, kinds: list[Bad], folder: Path, server, fix: frozenset[int] = frozenset()
) -> None:
    """Write ``kinds``' rows into a copy of the clean CRM, run the ETL incrementally on a copy
    of its warehouse, fix the rows numbered in ``fix`` and run again, then check the result
    and that a full run gives the same warehouse."""
    engine, link, drop = clean.copy(folder, server)
    incremental = warehouse_paths(link)
    full = warehouse_paths(folder / "full" / "warehouse.duckdb")
    try:
        written = write_bad_rows(engine, kinds)
        etl(engine, incremental, moment=RUN_AT)
        check_warehouse(engine, incremental, written, set())
        fixed = [
            (*key, kind) for number, (key, kind) in enumerate(written.items()) if number in fix
        ]
        if fixed:
            fix_rows(engine, fixed)
            etl(engine, incremental, moment=RUN_AT + timedelta(minutes=1))
        check_warehouse(engine, incremental, written, {(table, key) for table, key, _ in fixed})
        etl(engine, full, full=True, moment=RUN_AT + timedelta(minutes=1) if fixed else RUN_AT)
    finally:
        engine.dispose()
        drop()
    assert snapshot(incremental) == snapshot(full)


def server_for(clean: CleanCrm, request):
    return request.getfixturevalue("postgres_server") if clean.dialect == "postgresql" else None


def test_every_kind_of_bad_row_at_once(clean_crm, tmp_path, request):
    run_with_bad_rows(
        clean_crm, kinds_for(clean_crm.dialect), tmp_path, server_for(clean_crm, request)
    )


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_bad_rows_then_some_fixed(clean_crm, tmp_path_factory, request, data):
    """A few bad rows of random kinds; then some of them fixed, which takes them out of
    quarantine. (Kinds whose bad value is the row's key stay: fixing those is a new row.)"""
    kinds = data.draw(
        st.lists(
            st.sampled_from(kinds_for(clean_crm.dialect)),
            min_size=1,
            max_size=6,
            unique_by=lambda kind: kind.name,
        ),
        label="kinds",
    )
    fixable = [number for number, kind in enumerate(kinds) if kind.column not in ("code", "key")]
    fix = data.draw(st.frozensets(st.sampled_from(fixable)) if fixable else st.just(frozenset()))
    folder = tmp_path_factory.mktemp("example")
    run_with_bad_rows(clean_crm, kinds, folder, server_for(clean_crm, request), fix)


def test_a_currency_without_a_usable_rate_keeps_its_leads_and_deposits(crm_engine, tmp_path):
    """BRL's rate is set to 0 after a first run: BRL is quarantined with its reason, but Ana
    (lead 1, 500.00 BRL), changed after, stays on the pages with her USD balance unknown, and
    her deposits 1 (1,000.00 BRL, 200.00 USD) and 2 (declined) stay in the payments; a full run
    agrees."""
    build_small_crm(crm_engine)
    paths = warehouse_paths(tmp_path / "incremental.duckdb")
    etl(crm_engine, paths)
    with crm_engine.begin() as connection:
        connection.exec_driver_sql("UPDATE currencies SET usd_rate = 0 WHERE code = 'BRL'")
    etl(crm_engine, paths, moment=RUN_AT)
    with crm_engine.begin() as connection:  # Ana comes back: her row is staged again
        connection.exec_driver_sql("UPDATE leads SET last_login_at = NULL WHERE id = 1")
    etl(crm_engine, paths, moment=RUN_AT)
    full = warehouse_paths(tmp_path / "full.duckdb")
    etl(crm_engine, full, full=True, moment=RUN_AT)
    assert snapshot(paths) == snapshot(full)
    reader = Warehouse(paths)
    try:
        reason = reader.sql(
            "SELECT reason FROM quarantine WHERE table_name = 'currencies' AND row_key = 'BRL'"
        ).to_pylist()
        ana = reader.sql(
            "SELECT balance, currency, balance_usd FROM mart_lead_priority WHERE lead_id = 1"
        ).to_pylist()
        payments = reader.sql(
            "SELECT deposit_id, amount_usd FROM mart_payments WHERE lead_id = 1 ORDER BY 1"
        ).to_pylist()
    finally:
        reader.close()
    assert reason == [{"reason": "USD rate missing or not positive"}]
    assert ana == [{"balance": Decimal("500.00"), "currency": "BRL", "balance_usd": None}]
    assert payments == [
        {"deposit_id": 1, "amount_usd": Decimal("200.00")},
        {"deposit_id": 2, "amount_usd": Decimal("50.00")},
    ]


def test_every_page_query_is_among_those_checked():
    """A new query file joins the cases of bench/etl_run.py, or no test runs it on bad rows."""
    cases = page_query_cases(AS_OF.date(), AS_OF)
    assert {name for name, _ in cases.values()} == {path.stem for path in QUERIES_DIR.glob("*.sql")}
