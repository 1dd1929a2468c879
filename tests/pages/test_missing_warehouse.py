"""Before the first ETL run there is no warehouse: every page says how to build it (issue 26),
never the generic error, whoever opens it; and so when WAREHOUSE_PATH names a file that is no
warehouse (an empty file, a mistake)."""

from __future__ import annotations

import pytest

from dashboard.navigation import ACCOUNT_MANAGER, ADMIN, PAGES
from tests.pages.conftest import ALAN, MIA, captions

# Each page that reads the warehouse as a manager (Mia: all but Staff, Import, Distribution and
# Lead, which read the CRM only), and My leads as an AM.
READS_NO_WAREHOUSE = {"import_data.py", "distribution.py", "lead.py"}
OPENINGS = [
    (spec.file, MIA)
    for spec in PAGES
    if spec.roles != (ADMIN,) and spec.file not in READS_NO_WAREHOUSE
] + [
    (spec.file, ALAN)
    for spec in PAGES
    if ACCOUNT_MANAGER in spec.roles and spec.file not in READS_NO_WAREHOUSE
]


@pytest.mark.parametrize(("page", "staff_id"), OPENINGS)
def test_every_page_says_how_to_build_a_missing_warehouse(open_page, tmp_path, page, staff_id):
    at = open_page(f"pages/{page}", tmp_path / "nowhere" / "warehouse.duckdb", staff_id=staff_id)
    assert not at.exception, at.exception
    assert not at.error, [error.value for error in at.error]
    said = " ".join(info.value for info in at.info) + captions(at)
    assert "python -m etl run" in said, said


@pytest.mark.parametrize("page", ["sales_dashboard.py", "all_leads.py", "online.py"])
def test_a_file_that_is_no_warehouse_is_said_as_such(open_page, tmp_path, page):
    not_a_warehouse = tmp_path / "warehouse.duckdb"
    not_a_warehouse.write_bytes(b"")
    at = open_page(f"pages/{page}", not_a_warehouse)
    assert not at.exception, at.exception
    said = " ".join(info.value for info in at.info)
    assert f"no warehouse at {not_a_warehouse}" in said and "python -m etl run" in said, said
