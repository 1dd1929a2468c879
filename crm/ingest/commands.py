"""``python -m crm integrations|inbox|import``: the command-line side of data in."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from crm import integrations as integration_actions
from crm.db import create_crm_engine, require_current_schema
from crm.errors import UserError
from crm.ingest import files
from crm.ingest.imports import run_import

SHOWN_INVALID = 20


def _engine():
    engine = create_crm_engine()
    require_current_schema(engine)
    return engine


def integrations(args: argparse.Namespace) -> int:
    engine = _engine()
    what = args.integrations_command
    if what == "list":
        for row in integration_actions.integration_list(engine):
            state = "active" if row.is_active else "revoked"
            print(
                f"{row.id:>4}  {row.name:<30} {row.kind:<10} key sbk_{row.key_id}_…  "
                f"{row.rate_per_second}/s  {state}"
            )
        return 0
    if what == "unmapped-codes":
        from crm.ingest.mappings import unmapped_decline_codes

        with engine.connect() as connection:
            for provider, code, count in unmapped_decline_codes(connection):
                print(f"{provider:<24} {code:<24} {count:,} attempts")
        return 0
    if what == "set-extension":
        extension = None if args.extension == "-" else args.extension
        result = integration_actions.set_extension(
            engine, actor_id=None, command_line=True, email=args.email, extension=extension
        )
        print(result.message)
        return 0
    if what == "revoke":
        result = integration_actions.revoke_integration(
            engine, actor_id=None, command_line=True, name=args.name
        )
        print(result.message)
        return 0
    if what == "add":
        result, credentials = integration_actions.add_integration(
            engine,
            actor_id=None,
            command_line=True,
            name=args.name,
            kind=args.kind,
            rate_per_second=args.rate,
        )
    else:
        result, credentials = integration_actions.rotate_integration(
            engine, actor_id=None, command_line=True, name=args.name
        )
    print(result.message)
    print("Shown now and never again; keep them in the system's secret store:")
    print(f"  API key:        {credentials.api_key}")
    if credentials.webhook_secret:
        print(f"  webhook secret: {credentials.webhook_secret}")
    return 0


def inbox(args: argparse.Namespace) -> int:
    from crm.actions import apply_waiting, dismiss_waiting, new_action_id, waiting_events

    engine = _engine()
    if args.inbox_command == "list":
        rows = waiting_events(engine)
        for row in rows:
            print(
                f"{row.id:>6}  {row.received_at:%Y-%m-%d %H:%M} UTC  {row.integration:<20} "
                f"{row.kind:<8} {row.event_id}: {row.reason}"
            )
        print(f"{len(rows):,} events waiting.")
        return 0
    if args.inbox_command == "retry":
        print(f"{apply_waiting(engine):,} waiting events applied.")
        return 0
    result = dismiss_waiting(
        engine, actor_id=None, action_id=new_action_id(), inbox_id=args.inbox_id
    )
    print(result.message)
    return 0


def import_file(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror}") from None
    kind = files.KINDS[args.kind]
    table = files.open_table(path.name, data)
    if args.mapping:
        mapping = files.read_mapping(args.mapping, kind, table.headers)
    else:
        mapping = files.guess_mapping(kind, table.headers)
    shown = ", ".join(f"{field} ← {header!r}" for field, header in mapping.items() if header)
    print(f"columns: {shown}", flush=True)
    engine = _engine()

    def progress(done: int) -> None:
        if done % 10_000 == 0:
            print(f"  {done:,} rows …", flush=True)

    report = run_import(
        engine,
        kind,
        files.mapped_rows(table, mapping),
        source=args.source,
        dry_run=args.dry_run,
        all_or_nothing=args.all_or_nothing,
        progress=progress,
        # One process checks rows while this one writes: the checks are a third of the work.
        checkers=1 if (os.cpu_count() or 1) > 1 else 0,
    )
    for row in report.invalid()[:SHOWN_INVALID]:
        print(f"  row {row.row}: {row.reason}")
    more = len(report.invalid()) - SHOWN_INVALID
    if more > 0:
        print(f"  … and {more:,} more invalid rows (--report FILE lists every row)")
    if args.report:
        Path(args.report).write_text(report.csv_text(), encoding="utf-8")
        print(f"report of every row: {args.report}")
    print(report.summary())
    refused = not report.dry_run and not report.written
    return 1 if refused else 0
