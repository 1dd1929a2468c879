"""The demo brokerage: a realistic, reproducible CRM history written in bulk.

``build_demo`` is what ``python -m crm demo`` runs. It writes everything in one transaction, so
an interrupted demo leaves the CRM as empty as it found it.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from crm.arrow import MONEY, TIMESTAMP, arrow_schema, money_from_cents, timestamps
from crm.demo.generator import Generator, Masked
from crm.demo.writer import BulkWriter
from crm.models import Base
from crm.settings import working_days

# Parents before children, so that foreign keys hold at every step.
TABLE_ORDER = (
    "teams",
    "staff",
    "am_shifts",
    "am_leave",
    "currencies",
    "am_targets",
    "leads",
    "platform_sessions",
    "calls",
    "deposit_attempts",
    "target_board_entries",
    "assignments",
    "notes",
    "support_tickets",
    "email_outbox",
)


def to_arrow(table: sa.Table, columns: dict) -> dict[str, pa.Array]:
    """The generator's columns (numpy arrays, ``Masked``, cents, microseconds) as Arrow arrays."""
    types = {f.name: f.type for f in arrow_schema(table)}
    arrays = {}
    for name, value in columns.items():
        kind = types[name]
        valid = None
        if isinstance(value, Masked):
            value, valid = value.values, value.valid
        if isinstance(value, np.ndarray) and value.dtype.kind in "iu" and kind == TIMESTAMP:
            arrays[name] = timestamps(value, valid)
        elif isinstance(value, np.ndarray) and value.dtype.kind in "iu" and kind == MONEY:
            arrays[name] = money_from_cents(value, valid)
        else:
            mask = None if valid is None else ~valid
            values = (
                value.tolist() if isinstance(value, np.ndarray) and value.dtype == object else value
            )
            arrays[name] = pa.array(values, type=kind, mask=mask, from_pandas=False)
    return arrays


def build_demo(
    engine: sa.Engine,
    *,
    leads: int,
    days: int,
    seed: int,
    until: datetime | None = None,
    progress=sys.stderr,
) -> str:
    """Fill the empty CRM behind ``engine`` with a demo brokerage; return a one-line summary."""
    until = (until or datetime.now(timezone.utc)).replace(second=0, microsecond=0)
    started = time.perf_counter()
    with engine.connect() as connection:
        # The floor's working days, when set before the demo (Monday to Friday otherwise).
        days_worked = working_days(connection)
    generator = Generator(leads=leads, days=days, seed=seed, until=until, working_days=days_worked)
    tables = Base.metadata.tables
    writer = BulkWriter.open(engine)
    try:
        writer.defer_indexes([tables[name] for name in TABLE_ORDER])
        for name, columns in generator.reference_tables().items():
            writer.write(tables[name], to_arrow(tables[name], columns))
        done = 0
        for chunk in generator.chunks():
            for name in TABLE_ORDER:
                if name in chunk:
                    writer.write(tables[name], to_arrow(tables[name], chunk[name]))
            done += len(chunk["leads"]["id"])
            if progress is not None:
                rate = done / max(time.perf_counter() - started, 1e-9)
                print(
                    f"demo: {done:,} / {leads:,} leads ({rate:,.0f} leads/s)",
                    file=progress,
                    flush=True,
                )
        settings = {
            "key": ["demo", "demo_seed", "demo_until", "demo_created_at"],
            "value": [
                "true",
                str(seed),
                until.isoformat(),
                datetime.now(timezone.utc).isoformat(timespec="seconds"),
            ],
            "updated_at": timestamps(np.full(4, int(until.timestamp()) * 1_000_000)),
        }
        writer.write(tables["crm_settings"], to_arrow(tables["crm_settings"], settings))
        writer.finish([tables[name] for name in TABLE_ORDER])
        writer.commit()
    except BaseException:
        writer.rollback()
        raise
    seconds = time.perf_counter() - started
    counts = writer.rows
    return (
        f"demo brokerage written in {seconds:.1f} s: {counts['leads']:,} leads, "
        f"{counts['platform_sessions']:,} sessions, {counts['calls']:,} calls, "
        f"{counts['deposit_attempts']:,} deposit attempts, {counts['staff']:,} staff "
        f"({days} days to {until:%Y-%m-%d %H:%M} UTC, seed {seed})."
    )
