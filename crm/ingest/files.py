"""Reading an import file (CSV or Excel) and knowing which column is which field.

CSV: UTF-8 (with or without a byte-order mark), comma, semicolon or tab separated, the first
row the column names. Excel (.xlsx, .xls, .ods): the first sheet, read with python-calamine;
Excel keeps times without a zone, so they are read as UTC.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Iterator
from datetime import date, datetime, time, timezone
from pathlib import Path

from crm.errors import UserError
from crm.ingest.fields import FIELDS
from crm.ingest.values import normal_key

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
KINDS = {"leads": "lead", "deposits": "deposit", "calls": "call"}


class Table:
    """An import file's column names and its rows (lists of text), read once, in order."""

    def __init__(self, headers: list[str], rows: Iterator[list[str]]):
        self.headers = headers
        self.rows = rows


def open_table(name: str, data: bytes) -> Table:
    suffix = Path(name).suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _excel(data)
    if suffix in (".csv", ".txt", ".tsv"):
        return _csv(data)
    raise UserError(f"{name}: not a .csv or .xlsx file")


def _csv(data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError("the file is not UTF-8 text: save it as CSV UTF-8") from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers = next(reader, None)
    if not headers:
        raise UserError("the file is empty: its first row must name the columns")
    return Table([h.strip() for h in headers], (row for row in reader if any(row)))


def _excel(data: bytes) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        rows = iter(sheet.iter_rows())
    except Exception as error:  # calamine's own errors: a file that is not a workbook
        raise UserError(f"the file cannot be read as a workbook ({error})") from None
    headers = next(rows, None)
    if not headers:
        raise UserError("the sheet is empty: its first row must name the columns")
    return Table(
        [_cell(h).strip() for h in headers],
        ([_cell(value) for value in row] for row in rows if any(v != "" for v in row)),
    )


def _cell(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return value.isoformat()
    if isinstance(value, date):
        return datetime.combine(value, time(), timezone.utc).isoformat()
    return "" if value is None else str(value)


def guess_mapping(kind: str, headers: list[str]) -> dict[str, str | None]:
    """field → the column that holds it, guessed from the column names (the field's own name
    first, then its name in words as the Import page shows it, then its usual other names);
    None where no column fits."""
    by_key = {}
    for header in headers:
        by_key.setdefault(normal_key(header), header)
    mapping: dict[str, str | None] = {}
    taken: set[str] = set()
    for field in FIELDS[kind]:
        for name in (field.name, field.words, *field.aliases):
            header = by_key.get(normal_key(name))
            if header is not None and header not in taken:
                mapping[field.name] = header
                taken.add(header)
                break
        else:
            mapping[field.name] = None
    return mapping


def read_mapping(path: str, kind: str, headers: list[str]) -> dict[str, str | None]:
    """A mapping file: ``[columns]`` with ``field = "Column name"`` lines; the fields it does
    not name are guessed."""
    try:
        columns = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("columns", {})
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise UserError(f"--mapping {path}: {error}") from None
    known = {field.name for field in FIELDS[kind]}
    mapping = guess_mapping(kind, headers)
    for field, header in columns.items():
        if field not in known:
            raise UserError(f"--mapping {path}: {field!r} is not a field of {kind}s")
        if header not in headers:
            raise UserError(f"--mapping {path}: the file has no column {header!r}")
        mapping[field] = header
    return mapping


def mapped_rows(table: Table, mapping: dict[str, str | None]) -> Iterator[dict[str, str]]:
    """Each row as ``{field: value}`` by the mapping (empty cells left out)."""
    index = {field: table.headers.index(h) for field, h in mapping.items() if h is not None}
    for row in table.rows:
        yield {
            field: row[i].strip()
            for field, i in index.items()
            if i < len(row) and row[i] is not None and str(row[i]).strip()
        }
