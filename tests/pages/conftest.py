"""Page tests: a warehouse built by our own ETL from the small hand-built CRM
(tests/etl/small_crm.py), and an AppTest of the dashboard with "today" pinned to its AS_OF day."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from crm.db import create_crm_engine
from dashboard.viewer import ACTIVITY_KEY, STAFF_KEY
from etl.extract import CrmSource
from etl.run import run_etl
from tests.etl.ftd_crm import add_ftd_cases
from tests.etl.small_crm import AS_OF, build_small_crm
from warehouse import warehouse_paths

REPO_ROOT = Path(__file__).resolve().parents[2]
# DuckDB's first open and Plotly's first import take longer than AppTest's default 3 s.
APP_TIMEOUT_S = 30
# The small CRM's staff (tests/etl/small_crm.py): who the page tests sign in as.
MIA, ALAN, BEA, CID, EVE = 1, 2, 3, 4, 5


def build_warehouse(
    template: Path, folder: Path, fill: bool, prepare: Callable[[sa.Engine], None] | None = None
) -> Path:
    """A SQLite CRM copied from the migrated template (with the small brokerage when ``fill``,
    then changed by ``prepare``), and the warehouse the ETL builds from it at AS_OF. Returns
    WAREHOUSE_PATH."""
    if prepare is None:
        # The same CRM and warehouse every time: built once per test process beside the
        # template, then copied (files, the link relative), which is many times faster.
        built = template.parent / f"built-{'small' if fill else 'empty'}"
        if not built.is_dir():
            partial = built.with_name(built.name + ".tmp")
            shutil.rmtree(partial, ignore_errors=True)  # from a build that failed half-way
            _build(template, partial, fill, None)
            partial.rename(built)
        shutil.copytree(built, folder, symlinks=True, dirs_exist_ok=True)
        return warehouse_paths(folder / "warehouse.duckdb").link
    return _build(template, folder, fill, prepare)


def _build(
    template: Path, folder: Path, fill: bool, prepare: Callable[[sa.Engine], None] | None
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    crm = folder / "crm.sqlite"
    shutil.copyfile(template, crm)
    engine = create_crm_engine(f"sqlite:///{crm}")
    try:
        if fill:
            build_small_crm(engine)
        if prepare is not None:
            prepare(engine)
    finally:
        engine.dispose()
    paths = warehouse_paths(folder / "warehouse.duckdb")
    source = CrmSource(f"sqlite:///{crm}")
    try:
        run_etl(source, paths, now=lambda: AS_OF)
    finally:
        source.close()
    return paths.link


@pytest.fixture(scope="session")
def small_warehouse(migrated_sqlite_template, tmp_path_factory) -> Path:
    return build_warehouse(migrated_sqlite_template, tmp_path_factory.mktemp("small"), True)


@pytest.fixture(scope="session")
def ftd_warehouse(migrated_sqlite_template, tmp_path_factory) -> Path:
    """The small brokerage with the FTD cases of tests/etl/ftd_crm.py."""
    return build_warehouse(
        migrated_sqlite_template, tmp_path_factory.mktemp("ftd"), True, prepare=add_ftd_cases
    )


@pytest.fixture(scope="session")
def empty_warehouse(migrated_sqlite_template, tmp_path_factory) -> Path:
    return build_warehouse(migrated_sqlite_template, tmp_path_factory.mktemp("empty"), False)


@dataclass(frozen=True)
class WritableCrm:
    url: str
    warehouse: Path


@pytest.fixture
def writable_crm(migrated_sqlite_template, tmp_path, monkeypatch) -> WritableCrm:
    """The small brokerage in a CRM of this test's own, which the pages' actions write to
    (``CRM_DATABASE_URL`` names it), and the warehouse the ETL built from it at AS_OF."""
    warehouse = build_warehouse(migrated_sqlite_template, tmp_path / "small", True)
    url = f"sqlite:///{tmp_path / 'small' / 'crm.sqlite'}"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    return WritableCrm(url, warehouse)


def crm_url_of(warehouse: Path) -> str:
    """The SQLite CRM that ``build_warehouse`` put beside the warehouse ``warehouse``."""
    return f"sqlite:///{Path(warehouse).parent / 'crm.sqlite'}"


def has_staff(warehouse: Path, staff_id: int) -> bool:
    if not (Path(warehouse).parent / "crm.sqlite").is_file():
        return False
    engine = create_crm_engine(crm_url_of(warehouse))
    try:
        with engine.connect() as connection:
            return (
                connection.execute(
                    sa.text("SELECT count(*) FROM staff WHERE id = :id"), {"id": staff_id}
                ).scalar_one()
                == 1
            )
    finally:
        engine.dispose()


def set_viewer_zone(warehouse: Path, staff_id: int, zone: str) -> None:
    """Give ``staff_id`` of the CRM beside ``warehouse`` the time zone ``zone``: the zone a
    page shows that person times in. (Test setup, as small_crm's rows are: the staff action
    for it is the admin page's.)"""
    engine = create_crm_engine(crm_url_of(warehouse))
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE staff SET time_zone = :zone WHERE id = :id"),
                {"zone": zone, "id": staff_id},
            )
    finally:
        engine.dispose()


def signed_in(at: AppTest, staff_id: int) -> AppTest:
    """``at`` with ``staff_id`` signed in, as a right password does, and active just now."""
    at.session_state[STAFF_KEY] = staff_id
    at.session_state[ACTIVITY_KEY] = time.time()
    return at


@pytest.fixture
def open_page(monkeypatch, request) -> Iterator[Callable[..., AppTest]]:
    """Open a page of dashboard_app.py on the warehouse at ``warehouse`` (and the small CRM
    beside it) on AS_OF's day, at AS_OF's moment or the ISO date-time ``now``, signed in as
    ``staff_id`` (default Mia, the lead manager) whose staff row's ``time_zone`` (default UTC)
    is the zone times are shown in."""

    def open_(
        page: str,
        warehouse: Path,
        time_zone: str | None = None,
        now: str | None = None,
        staff_id: int = MIA,
    ) -> AppTest:
        # A missing or empty warehouse has no staff in a CRM beside it: the person signs in to
        # the small CRM instead.
        crm = (
            warehouse
            if has_staff(warehouse, staff_id)
            else request.getfixturevalue("small_warehouse")
        )
        monkeypatch.setenv("CRM_DATABASE_URL", crm_url_of(crm))
        monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse))
        monkeypatch.setenv("STARBOARD_TODAY", AS_OF.date().isoformat())
        # "now" (the leads' local time) is the ETL's moment unless the test pins another.
        monkeypatch.setenv("STARBOARD_NOW", now or AS_OF.isoformat())
        # The floor's zone is the warehouse's (UTC, as the ETL built it); the viewer's is
        # their staff row's, set here as the test's person would have it.
        monkeypatch.delenv("STARBOARD_TIME_ZONE", raising=False)
        set_viewer_zone(crm, staff_id, time_zone or "UTC")
        at = AppTest.from_file(str(REPO_ROOT / "dashboard_app.py"), default_timeout=APP_TIMEOUT_S)
        signed_in(at, staff_id).run()
        at.switch_page(page)
        return at.run()

    st.cache_data.clear()
    st.cache_resource.clear()
    yield open_
    st.cache_data.clear()
    st.cache_resource.clear()


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    """Each shown metric's label → (value, change)."""
    return {metric.label: (metric.value, metric.delta) for metric in at.metric}


def captions(at: AppTest) -> str:
    return "\n".join(caption.value for caption in at.caption)


def column_formats(frame) -> dict[str, str | None]:
    """Each column of a shown table (``at.dataframe[i]``) → the number format its cells are
    written with in the browser ("%,.2f USD" writes 1596.08 as "1,596.08 USD")."""
    columns = json.loads(frame.proto.columns)
    return {name: config.get("type_config", {}).get("format") for name, config in columns.items()}


def column_labels(frame) -> list[str]:
    """A shown table's headers, left to right as the table shows them."""
    columns = json.loads(frame.proto.columns)
    return [columns.get(name, {}).get("label", name) for name in frame.value.columns]
