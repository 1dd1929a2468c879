"""Imports from files (python -m crm import ...), run as a person would, on both databases.

A file of 1,000 leads with one bad row: --all-or-nothing writes nothing, without it the 999
good ones go in; both name the bad row. An Excel file of deposits with its own column names
and a mapping file, and a dry run that writes nothing.
"""

from __future__ import annotations

import csv
from datetime import datetime, timezone

import sqlalchemy as sa
import xlsxwriter

BAD_ROW = 501  # the file's row (row 1 holds the column names)


def seed_currencies(engine: sa.Engine) -> None:
    stamp = (
        "2026-01-01 00:00:00.000000"
        if engine.dialect.name == "sqlite"
        else datetime(2026, 1, 1, tzinfo=timezone.utc)
    )
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO currencies (code, usd_rate, updated_at) VALUES "
                "('USD', 1, :t), ('EUR', 1.1, :t)"
            ),
            {"t": stamp},
        )


def count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


def write_leads(path, rows: int = 1_000) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Client ID", "First name", "Surname", "E-mail", "Mobile", "Country"])
        for n in range(rows):
            email = "not-an-email" if n + 2 == BAD_ROW else f"client{n}@example.com"
            writer.writerow([f"F-{n}", "Ana", "Souza", email, f"+3491{n:07d}", "ES"])


def test_one_bad_row_in_1000_writes_nothing_with_all_or_nothing(crm_engine, run_crm, tmp_path):
    seed_currencies(crm_engine)
    path, report = tmp_path / "fair.csv", tmp_path / "report.csv"
    write_leads(path)
    result = run_crm(
        "import",
        "leads",
        str(path),
        "--source",
        "trade_fair",
        "--all-or-nothing",
        "--report",
        str(report),
        url=crm_engine.url,
    )
    assert result.returncode == 1, result.stderr
    assert f"row {BAD_ROW}: E-mail: is not an email address" in result.stdout
    assert "999 new, 0 duplicate, 1 invalid; nothing was written" in result.stdout
    # The ids the rolled-back rows had name nobody (later, someone else): the report has none.
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [row["record_id"] for row in rows] == [""] * 1_000
    assert count(crm_engine, "leads") == 0
    assert count(crm_engine, "email_outbox") == 0
    assert count(crm_engine, "audit_log") == 0


def test_one_bad_row_in_1000_leaves_999_without_all_or_nothing(crm_engine, run_crm, tmp_path):
    seed_currencies(crm_engine)
    path, report = tmp_path / "fair.csv", tmp_path / "report.csv"
    write_leads(path)
    result = run_crm(
        "import",
        "leads",
        str(path),
        "--source",
        "trade_fair",
        "--report",
        str(report),
        url=crm_engine.url,
    )
    assert result.returncode == 0, result.stderr
    assert f"row {BAD_ROW}: E-mail: is not an email address" in result.stdout
    assert "1,000 rows imported: 999 new, 0 duplicate, 1 invalid." in result.stdout
    assert count(crm_engine, "leads") == 999
    assert count(crm_engine, "email_outbox") == 999
    with crm_engine.connect() as connection:
        first = connection.execute(
            sa.text(
                "SELECT external_id, source, phone, time_zone FROM leads WHERE external_id = 'F-0'"
            )
        ).one()
    assert tuple(first) == ("F-0", "trade_fair", "+34910000000", "Europe/Madrid")
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert len(rows) == 1_000
    assert rows[BAD_ROW - 2] == {
        "row": str(BAD_ROW),
        "outcome": "invalid",
        "key": "F-499",
        "record_id": "",
        "reason": "E-mail: is not an email address",
    }
    # The same file again: every lead a duplicate, nothing written.
    again = run_crm("import", "leads", str(path), "--source", "trade_fair", url=crm_engine.url)
    assert "0 new, 999 duplicate, 1 invalid" in again.stdout
    assert count(crm_engine, "leads") == 999


def test_excel_deposits_with_a_mapping_file_and_a_dry_run(crm_engine, run_crm, tmp_path):
    seed_currencies(crm_engine)
    leads = tmp_path / "leads.csv"
    write_leads(leads, rows=2)
    assert (
        run_crm("import", "leads", str(leads), "--source", "fair", url=crm_engine.url).returncode
        == 0
    )
    book = tmp_path / "cashier.xlsx"
    workbook = xlsxwriter.Workbook(str(book))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["Ref", "Client", "Result", "Sum", "Ccy", "Way", "Code", "When"])
    sheet.write_row(
        1, 0, ["T-1", "F-0", "declined", 100, "EUR", "card", "51", "2026-01-05T10:00:00Z"]
    )
    sheet.write_row(
        2, 0, ["T-2", "F-1", "approved", 250.5, "EUR", "wire", "", "2026-01-05T11:00:00Z"]
    )
    sheet.write_row(
        3, 0, ["T-3", "NOBODY", "approved", 10, "EUR", "card", "", "2026-01-05T12:00:00Z"]
    )
    workbook.close()
    mapping = tmp_path / "cashier.toml"
    mapping.write_text(
        '[columns]\ntransaction_id = "Ref"\nlead_external_id = "Client"\n'
        'status = "Result"\namount = "Sum"\ncurrency = "Ccy"\nmethod = "Way"\n'
        'decline_code = "Code"\noccurred_at = "When"\n'
    )
    arguments = ("import", "deposits", str(book), "--mapping", str(mapping), "--source", "Nuvei")
    dry = run_crm(*arguments, "--dry-run", url=crm_engine.url)
    assert dry.returncode == 0, dry.stderr
    assert "dry run of 3 rows: 2 new, 0 duplicate, 1 invalid; nothing was written." in dry.stdout
    assert "row 4: the lead with external id NOBODY is not in the CRM yet" in dry.stdout
    assert count(crm_engine, "deposit_attempts") == 0
    real = run_crm(*arguments, url=crm_engine.url)
    assert real.returncode == 0, real.stderr
    with crm_engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT provider_transaction_id, status, decline_reason, amount "
                "FROM deposit_attempts "
                "ORDER BY provider_transaction_id"
            )
        ).all()
    assert [(t, s, r, str(a)) for t, s, r, a in rows] == [
        ("T-1", "declined", "insufficient funds", "100.00"),
        ("T-2", "approved", None, "250.50"),
    ]


def by_row_id(rows: list[dict], row: int) -> int:
    (found,) = [int(r["record_id"]) for r in rows if r["row"] == str(row)]
    return found


def test_a_file_of_several_chunks_is_checked_beside_the_writer_in_order(
    crm_engine, run_crm, tmp_path
):
    """5,000 rows (three chunks of 2,000: the command checks them in another process while
    it writes): a bad row in the second and third chunks, and a row of the third chunk with
    the email of a row of the first, which only the file's order makes the duplicate."""
    seed_currencies(crm_engine)
    path, report = tmp_path / "big.csv", tmp_path / "report.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Client ID", "First name", "Surname", "E-mail", "Mobile", "Country"])
        for n in range(5_000):
            row = n + 2
            email = f"client{n}@example.com"
            if row in (2_500, 4_800):
                email = "not-an-email"
            if row == 4_500:
                email = "client98@example.com"  # the email of row 100
            writer.writerow([f"B-{n}", "Ana", "Souza", email, f"+3491{n:07d}", "ES"])
    result = run_crm(
        "import",
        "leads",
        str(path),
        "--source",
        "fair",
        "--report",
        str(report),
        url=crm_engine.url,
    )
    assert result.returncode == 0, result.stderr
    assert "5,000 rows imported: 4,997 new, 1 duplicate, 2 invalid." in result.stdout
    assert count(crm_engine, "leads") == 4_997
    assert count(crm_engine, "email_outbox") == 4_997
    with crm_engine.connect() as connection:
        first_id = connection.execute(
            sa.text("SELECT id FROM leads WHERE external_id = 'B-98'")
        ).scalar()
        assert (
            connection.execute(
                sa.text("SELECT count(*) FROM leads WHERE external_id = 'B-4498'")
            ).scalar()
            == 0
        )
        # Each lead's welcome mail and audit row name that lead (ids handed out in bulk).
        assert (
            connection.execute(
                sa.text(
                    "SELECT count(*) FROM email_outbox o JOIN leads l ON l.id = o.lead_id "
                    "WHERE o.to_address = l.email"
                )
            ).scalar()
            == 4_997
        )
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [row["row"] for row in rows] == [str(n) for n in range(2, 5_002)]
    assert by_row_id(rows, 100) == first_id
    by_row = {int(row["row"]): row for row in rows}
    assert (by_row[2_500]["outcome"], by_row[4_800]["outcome"]) == ("invalid", "invalid")
    assert by_row[4_800]["reason"] == "E-mail: is not an email address"
    assert by_row[4_500]["outcome"] == "duplicate"
    assert by_row[4_500]["reason"] == f"the same e-mail as lead {first_id}"
    assert by_row[100]["outcome"] == "new"
