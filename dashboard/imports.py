"""The Import page's widgets: a file, its column mapping (guessed from the header), a dry run
whose report can be downloaded, then the import with a progress bar; and the events waiting
in the inbox for their lead.

The import runs through crm.ingest.imports as the signed-in manager: the same checks as the
ingest API, every row through the actions, one transaction (a failed import writes nothing).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm.errors import UserError
from crm.ingest import files
from crm.ingest.fields import FIELDS
from crm.ingest.imports import ImportReport, run_import
from dashboard.navigation import MANAGERS
from dashboard.viewer import crm_engine, current_viewer

NONE = "(not in the file)"
REPORT_KEY = "import.report"
RUN_KEY = "import.run"
KIND_WORDS = {"leads": "Leads", "deposits": "Deposits", "calls": "Calls"}
SOURCE_HELP = {
    "leads": "The leads' source when the file has no source column (e.g. trade_fair).",
    "deposits": "The payment provider when the file has no provider column (e.g. Nuvei).",
    "calls": "Not used for calls.",
}


def require_manager() -> None:
    """Stop unless a manager is signed in (the router offers the page to managers only; this
    also sends a run that came without the router back through it)."""
    viewer = current_viewer()
    if viewer is None or viewer.role not in MANAGERS:
        st.stop()


def file_and_kind() -> tuple[str, str | None, files.Table | None, str]:
    """What is imported (kind), its source, the uploaded file read as a table, and its name."""
    kind_column, source_column = st.columns(2)
    kind = kind_column.selectbox(
        "What the file holds", list(KIND_WORDS), format_func=KIND_WORDS.get, key="import.kind"
    )
    source = source_column.text_input("Source", key="import.source", help=SOURCE_HELP[kind])
    upload = st.file_uploader(
        "A .csv or .xlsx file, its first row the column names",
        type=["csv", "xlsx"],
        key="import.file",
    )
    if upload is None:
        return kind, source or None, None, ""
    try:
        table = files.open_table(upload.name, upload.getvalue())
    except UserError as error:
        st.error(str(error))
        return kind, source or None, None, upload.name
    return kind, source.strip() or None, table, upload.name


def column_mapping(kind: str, table: files.Table) -> dict[str, str | None]:
    """A select box per field, named in the users' words and set to the column the header
    suggests; ``{field name: column}``."""
    record = files.KINDS[kind]
    guessed = files.guess_mapping(record, table.headers)
    st.markdown("**Columns** — which column holds each field (guessed from the file's header)")
    options = [NONE, *table.headers]
    mapping: dict[str, str | None] = {}
    columns = st.columns(4)
    for index, field in enumerate(FIELDS[record]):
        chosen = columns[index % 4].selectbox(
            field.words + (" *" if field.required else ""),
            options,
            index=options.index(guessed[field.name] or NONE),
            # The field's own name only here: what an engineer writes in a mapping file.
            help=f"{field.doc[:1].upper()}{field.doc[1:]}. In a mapping file and the API: "
            f"`{field.name}`.",
            key=f"import.map.{kind}.{field.name}",
        )
        mapping[field.name] = None if chosen == NONE else chosen
    return mapping


def buttons(kind: str, file_name: str) -> None:
    check, load = st.columns([1, 1])
    check.button(
        "Check (dry run)",
        key="import.check",
        on_click=_request,
        args=("dry", kind, file_name),
        type="secondary",
        width="stretch",
    )
    load.button(
        "Import",
        key="import.load",
        on_click=_request,
        args=("import", kind, file_name),
        type="primary",
        width="stretch",
    )


def _request(mode: str, kind: str, file_name: str) -> None:
    st.session_state[RUN_KEY] = (mode, kind, file_name)


def run_requested(
    kind: str,
    source: str | None,
    table: files.Table,
    file_name: str,
    mapping: dict[str, str | None],
) -> None:
    """Run the dry run or import a button asked for (once), with a progress bar."""
    requested = st.session_state.pop(RUN_KEY, None)
    if requested is None or requested != (requested[0], kind, file_name):
        return
    viewer = current_viewer()
    if viewer is None:
        return
    rows = list(files.mapped_rows(table, mapping))
    if not rows:
        st.warning("The file has no rows under its header: nothing to import.")
        return
    dry_run = requested[0] == "dry"
    bar = st.progress(0.0, text=f"{'Checking' if dry_run else 'Importing'} {len(rows):,} rows …")

    def progress(done: int) -> None:
        bar.progress(min(done / len(rows), 1.0), text=f"{done:,} of {len(rows):,} rows")

    try:
        report = run_import(
            crm_engine(),
            files.KINDS[kind],
            rows,
            source=source,
            dry_run=dry_run,
            actor_id=viewer.staff_id,
            progress=progress,
        )
    except UserError as error:
        bar.empty()
        st.error(str(error))
        return
    bar.progress(1.0, text=f"{len(rows):,} of {len(rows):,} rows")
    st.session_state[REPORT_KEY] = (file_name, report)


def report() -> None:
    """The last dry run's or import's report: counts, the rows (invalid first), a download."""
    kept = st.session_state.get(REPORT_KEY)
    if kept is None:
        return
    file_name, result = kept
    result: ImportReport
    counts = result.counts()
    (st.info if result.dry_run else st.success if result.written else st.error)(
        f"{file_name}: {result.summary()}"
    )
    new, duplicate, invalid = st.columns(3)
    new.metric("New", f"{counts['new']:,}")
    duplicate.metric("Duplicate", f"{counts['duplicate']:,}")
    invalid.metric("Invalid", f"{counts['invalid']:,}")
    frame = pd.DataFrame([row.__dict__ for row in result.rows])
    frame["order"] = frame["outcome"].map({"invalid": 0, "duplicate": 1, "new": 2})
    frame = frame.sort_values(["order", "row"]).drop(columns="order")
    # Blank, not "None", where a row has no record in the CRM (invalid, or not written).
    frame["record_id"] = [None if pd.isna(v) else f"{int(v)}" for v in frame["record_id"]]
    frame = frame.fillna("")
    st.dataframe(
        frame,
        hide_index=True,
        placeholder="",
        key="import.report.table",
        column_config={
            "row": st.column_config.NumberColumn("Row", format="%d"),
            "record_id": st.column_config.TextColumn("Id in the CRM"),
            "key": "Its id in the file",
            "outcome": "Outcome",
            "reason": "Reason",
        },
    )
    st.download_button(
        "Download the report (CSV)",
        result.csv_text(),
        key="import.download",
        file_name=f"import-report-{file_name}.csv",
        mime="text/csv",
    )


def waiting_events() -> None:
    """Events the brokerage's systems sent before their lead existed."""
    from crm.actions import waiting_events as waiting

    rows = waiting(crm_engine(), limit=200)
    st.subheader("Waiting for their lead")
    if not rows:
        st.caption("No event is waiting: every call, deposit and login found its lead.")
        return
    st.caption(
        f"{len(rows):,} events arrived before their lead; each is applied when its lead "
        "is registered (or with `python -m crm inbox retry`)."
    )
    st.dataframe(
        pd.DataFrame([dict(row._mapping) for row in rows]),
        hide_index=True,
        placeholder="",
        key="import.inbox",
    )
