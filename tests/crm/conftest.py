"""What several test files of tests/crm share."""

from __future__ import annotations

import pytest

from tests.crm.simulate_crm import build_crm


@pytest.fixture
def brokerage(crm_engine):
    """The small brokerage of simulate_crm.py in this test's CRM (SQLite, then PostgreSQL): its
    engine, and the ids ``build_crm`` returns."""
    return crm_engine, build_crm(crm_engine)
