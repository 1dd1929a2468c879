"""From the brokerage's systems to the manager's screen: a lead registered through the API, a
call from the dialer's webhook and a declined deposit from the PSP's, then one ETL run, and the
Failed deposits page shows the attempt with its reason."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from crm.db import create_crm_engine
from etl.extract import CrmSource
from etl.run import run_etl
from tests.api.conftest import Ingest, seed, serve
from tests.pages.conftest import APP_TIMEOUT_S, REPO_ROOT, signed_in
from warehouse import warehouse_paths

pytestmark = pytest.mark.e2e
MIA = 1  # the lead manager tests/api/conftest.py seeds


def test_a_declined_deposit_sent_by_the_psp_is_on_the_failed_deposits_page(
    migrated_sqlite_template, tmp_path, monkeypatch
):
    shutil.copyfile(migrated_sqlite_template, tmp_path / "crm.sqlite")
    crm_url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    engine = create_crm_engine(crm_url)
    process, url, log = serve(crm_url, tmp_path)
    try:
        ingest = Ingest(url, crm_url, engine, seed(engine), tmp_path)
        now = datetime.now(timezone.utc)
        registered = ingest.post(
            "Website",
            "/v1/leads",
            {
                "external_id": "E2E-1",
                "first_name": "Rosa",
                "last_name": "Prado",
                "email": "rosa.prado@example.com",
                "phone": "+34 612 345 678",
                "currency": "EUR",
            },
        )
        assert registered.status_code == 201, registered.text
        called = ingest.post(
            "Dialer",
            "/v1/calls",
            {
                "call_id": "E2E-c1",
                "agent_email": "alan@b.example",
                "lead_external_id": "E2E-1",
                "started_at": (now - timedelta(minutes=9)).isoformat(),
                "duration_s": 95,
                "disposition": "ANSWERED",
            },
        )
        assert called.status_code == 201, called.text
        declined = ingest.post(
            "Stripe",
            "/v1/deposits",
            {
                "event_id": "E2E-d1",
                "transaction_id": "pi_E2E",
                "lead_external_id": "E2E-1",
                "status": "declined",
                "amount": "300.00",
                "currency": "EUR",
                "method": "card",
                "decline_code": "authentication_required",
                "occurred_at": (now - timedelta(minutes=2)).isoformat(),
            },
        )
        assert declined.status_code == 201, declined.text
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        engine.dispose()
    paths = warehouse_paths(tmp_path / "warehouse.duckdb")
    source = CrmSource(crm_url)
    try:
        run_etl(source, paths)
    finally:
        source.close()

    monkeypatch.setenv("CRM_DATABASE_URL", crm_url)
    monkeypatch.setenv("WAREHOUSE_PATH", str(paths.link))
    monkeypatch.setenv("STARBOARD_TODAY", now.date().isoformat())
    monkeypatch.setenv("STARBOARD_NOW", now.isoformat())
    monkeypatch.setenv("STARBOARD_TIME_ZONE", "UTC")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(REPO_ROOT / "dashboard_app.py"), default_timeout=APP_TIMEOUT_S)
    signed_in(at, MIA).run()
    at.switch_page("pages/failed_deposits.py")
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["decline_reason"].tolist() == ["3-D Secure failed"]
    row = table.iloc[0]
    assert (row["lead_name"], row["provider"], row["method"], row["amount"]) == (
        "Rosa Prado",
        "Stripe",
        "card",
        "300.00 EUR",
    )
    assert row["amount_usd"] == pytest.approx(330.00)
    st.cache_data.clear()
    st.cache_resource.clear()
