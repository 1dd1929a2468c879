"""What an incremental run changed, as relations the maintained models read.

A full rebuild of the marts reads every fact (tens of millions of rows at brokerage scale) on
every run. An incremental run instead keeps the intermediate tables and keyed marts and
recomputes only what the run's rows can have moved. A fact row can change in two ways:

- its own row was landed (inserted or updated) or deleted (a tombstone) in this run;
- it entered or left its fact view because a parent did: a lead or AM that arrived, was
  deleted, or went into or out of quarantine (``fct_calls`` keeps only calls of known leads).

So the *candidates* of a fact are its own landed and deleted keys plus every staged row that
points at a touched lead, AM or deposit. The fact view is read for the candidates before the
run's deletes and staging (``before_<fact>``) and after them (``after_<fact>``); the rows the
two differ by are exactly the fact's change. Models then read:

- ``changes_<fact>``: the before rows with ``sign`` -1 and the after rows with ``sign`` +1, so
  an additive model (counts, sums) sums ``sign``-weighted values into a delta it adds to its
  table. On a full run it is every fact row with ``sign`` 1, and the same SQL builds the table.
- ``changed_*`` (``warehouse/models/changes/``): the keys whose rows a by-key model must
  recompute (leads, deposits, AM days, activity events), worked out from ``changes_<fact>``.
  A by-key model filters its inputs to them on lines that end in ``-- changed only``; a
  rebuild drops those lines and computes every key.
- ``changes_<model>`` of a by-key model: its replaced rows (-1) and their new versions (+1),
  only where they differ, for the models built on it.

A model says how it is kept in its first lines (see ``Maintenance``); the others are rebuilt in
full on every run, which is right for the small ones and for those whose columns depend on the
moment of the run (days since login, online now).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from etl.sql import run_sql, scalar

# The fact views an incremental run diffs, by the staged table behind them.
FACT_VIEWS = {
    "leads": "dim_leads",
    "calls": "fct_calls",
    "deposit_attempts": "fct_deposit_attempts",
    "assignments": "fct_assignments",
    "platform_sessions": "fct_platform_sessions",
    "notes": "fct_notes",
    "email_outbox": "fct_emails",
    "support_tickets": "fct_support_tickets",
    "target_board_entries": "fct_target_board_entries",
    "am_targets": "fct_am_targets",
}
# What the models read of a fact's changes, where that is less than the whole row: a row then
# changes only when these do. The sessions' last seen and logout are two of the largest
# columns at brokerage scale (19 M timestamps each), and reading them for the old versions of
# 1 % of the sessions, spread over every block, was the run's dearest read (0.4 s of a first
# read); a heartbeat changes nothing else. What the models read of them comes from the
# sessions themselves (came_online in changed_priority_leads, the ranking's live sessions).
CHANGE_COLUMNS = {"fct_platform_sessions": ("session_id", "lead_id", "login_at")}
# A change to these reaches too many rows to follow: the maintained models are rebuilt.
# (Their rows are few: comparing them before and after is cheap.)
REBUILD_ON_CHANGE = ("teams", "currencies")
# Staff columns: a fact row names an AM (or author, owner, ...) in any of these.
STAFF_COLUMN = re.compile(r"^(am_id|from_am_id|to_am_id|by_id|author_id|owner_id|recorded_by_id)$")

CHANGED_ONLY = "-- changed only"
MAINTAINED = re.compile(
    r"^-- maintained: (?P<kind>additive|by key) \((?P<key>[a-z_, ]+)\)(?: from (?P<keys>\w+))?",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Maintenance:
    """How a model is kept, from a line at the top of its SQL file:

    ``-- maintained: additive (am_id, day)``: its SQL sums ``changes_<fact>`` rows by the key;
    an incremental run adds the delta it computes to the rows already there. Its column
    ``fact_rows`` counts the rows each key sums: a key at 0 is removed.
    ``-- maintained: by key (lead_id) from changed_lead_ids``: its SQL computes only the keys in
    that relation; an incremental run replaces those keys' rows.
    """

    kind: str
    key: tuple[str, ...]
    keys_relation: str | None

    @classmethod
    def of(cls, sql: str) -> Maintenance | None:
        found = MAINTAINED.search(sql)
        if not found:
            return None
        key = tuple(part.strip() for part in found["key"].split(","))
        return cls(found["kind"], key, found["keys"])


def _columns(base, relation: str) -> list[str]:
    # Describing a view binds its whole query: ask once per relation and connection.
    key = (id(base), relation)
    if key not in _COLUMNS:
        _COLUMNS[key] = [row[0] for row in run_sql(base, f"DESCRIBE {relation}")]
    return _COLUMNS[key]


_COLUMNS: dict[tuple[int, str], list[str]] = {}


def capture_before(base, staging_sql: Callable[[str], str]) -> None:
    """Before the run's deletes and staging: the candidate rows of every fact, as they were.
    ``staging_sql(name)`` is the text of the staging model ``stg_<name>``."""
    _COLUMNS.clear()
    for table in REBUILD_ON_CHANGE:
        run_sql(
            base,
            f"CREATE OR REPLACE TEMP TABLE before_stg_{table} AS "
            f"SELECT * EXCLUDE (updated_at) FROM stg_{table}",
        )
    _touched(base, "staff", "staff_id", staging_sql)
    _touched(base, "leads", "lead_id", staging_sql, pointers=("am_id",))
    deleted = "select row_key from landing.deleted_rows where table_name = '{table}'"
    # A lead's row shows its AM's name: it changes when its AM does. And it enters or leaves
    # dim_leads when its AM does (dim_leads keeps only leads of known AMs).
    for touched, staff in (("touched_leads", "touched_staff"), ("moved_leads", "moved_staff")):
        run_sql(
            base,
            f"INSERT INTO {touched} SELECT lead_id FROM stg_leads "
            f"WHERE am_id IN (SELECT staff_id FROM {staff})",
        )
    # Parents before children: a target-board entry follows its deposit.
    for table, view in FACT_VIEWS.items():
        staged = f"stg_{table}"
        columns = _columns(base, staged)
        key = columns[0]
        # One semi-join per reason, not one scan with ORs: each is a hash probe of one column.
        reasons = [
            f"SELECT try_cast(id AS bigint) FROM landing.{table}",
            f"SELECT try_cast(row_key AS bigint) FROM ({deleted.format(table=table)})",
        ]
        # A fact view tests only that a row's lead and AM exist: a row changes with its parents
        # when they arrive or leave, not when their other columns change.
        pointers = {"lead_id": "SELECT lead_id FROM moved_leads"}
        pointers.update(
            {
                column: "SELECT staff_id FROM moved_staff"
                for column in columns
                if STAFF_COLUMN.match(column)
            }
        )
        if "deposit_id" in columns and table != "deposit_attempts":
            pointers["deposit_id"] = "SELECT * FROM candidates_deposit_attempts"
        reasons += [
            f"SELECT {key} FROM {staged} WHERE {column} IN ({parents})"
            for column, parents in pointers.items()
            if column in columns
        ]
        run_sql(
            base,
            f"CREATE OR REPLACE TEMP TABLE candidates_{table} AS "
            f"SELECT * FROM ({' UNION '.join(reasons)}) AS candidate({key})",
        )
        _capture(base, "before", table, view, key)


def _touched(
    base,
    table: str,
    key: str,
    staging_sql: Callable[[str], str],
    pointers: tuple[str, ...] = (),
) -> None:
    """``touched_<table>``: the keys of the parent rows this run really changes (new, gone,
    different, or into or out of quarantine). The overlap window lands many rows again as they
    were; a lead or AM that did not change must not make all its calls candidates.

    ``moved_<table>``: of those, the rows that arrive or leave (new, gone, into or out of
    quarantine) or whose ``pointers`` (columns naming a parent) change: the rows whose children
    may enter or leave the fact views."""
    run_sql(
        base,
        f"CREATE OR REPLACE TEMP TABLE next_stg_{table} AS {staging_sql(table)}",
    )
    # The keys the CRM deleted: each row both touched and moved.
    deleted = (
        f"SELECT try_cast(row_key AS {_type(base, f'stg_{table}', key)}) "
        f"FROM landing.deleted_rows WHERE table_name = '{table}'"
    )
    run_sql(
        base,
        f"CREATE OR REPLACE TEMP TABLE touched_{table} AS "
        f"SELECT {key} FROM ("
        f"SELECT {key}, hash(next) AS row_hash FROM "
        f"(SELECT * EXCLUDE (updated_at) FROM next_stg_{table}) AS next "
        f"EXCEPT SELECT {key}, hash(was) FROM "
        f"(SELECT * EXCLUDE (updated_at) FROM stg_{table} "
        f"SEMI JOIN next_stg_{table} USING ({key})) AS was) "
        f"UNION {deleted}",
    )
    moved = " ".join(f"OR next.{column} IS DISTINCT FROM was.{column}" for column in pointers)
    run_sql(
        base,
        f"CREATE OR REPLACE TEMP TABLE moved_{table} AS "
        f"SELECT next.{key} FROM next_stg_{table} AS next "
        f"LEFT JOIN stg_{table} AS was USING ({key}) "
        f"WHERE (next.quarantine_reason IS NULL) <> (was.{key} IS NOT NULL) {moved} "
        f"UNION {deleted}",
    )
    run_sql(base, f"DROP TABLE next_stg_{table}")


def _type(base, relation: str, column: str) -> str:
    return next(kind for name, kind, *_ in run_sql(base, f"DESCRIBE {relation}") if name == column)


def _capture(base, when: str, table: str, view: str, key: str) -> None:
    """The fact view's rows for the candidate keys, each with a hash of what it says."""
    run_sql(
        base,
        f"CREATE OR REPLACE TEMP TABLE {when}_{view} AS "
        f"SELECT row.*, hash(row) AS row_hash FROM ("
        f"SELECT {_content(base, view)} FROM {view} AS fact "
        f"SEMI JOIN candidates_{table} AS candidate ON fact.{key} = candidate.{key}) AS row",
    )


def _content(base, view: str) -> str:
    """The columns of the fact view (``AS fact``) a change is made of."""
    if view in CHANGE_COLUMNS:
        return ", ".join(f"fact.{column}" for column in CHANGE_COLUMNS[view])
    # updated_at says when a row was written, not what it says: a row written again with the
    # same values has not changed any figure.
    return "fact.* EXCLUDE (updated_at)" if "updated_at" in _columns(base, view) else "fact.*"


def capture_after(base) -> bool:
    """After staging: the candidates as they are now, and the relations models read. Returns
    False when a team or currency changed: that reaches too many rows to follow."""
    for table in REBUILD_ON_CHANGE:
        differs = scalar(
            base,
            f"SELECT count(*) FROM ((SELECT * EXCLUDE (updated_at) FROM stg_{table} "
            f"EXCEPT ALL SELECT * FROM before_stg_{table}) UNION ALL "
            f"(SELECT * FROM before_stg_{table} "
            f"EXCEPT ALL SELECT * EXCLUDE (updated_at) FROM stg_{table}))",
        )
        if differs:
            return False
    for table, view in FACT_VIEWS.items():
        key = _columns(base, f"stg_{table}")[0]
        _capture(base, "after", table, view, key)
        _signed_difference(base, f"changes_{view}", f"before_{view}", f"after_{view}", (key,))
    return True


def _signed_difference(
    base, target: str, before: str, after: str, key: tuple[str, ...], extra: str = "row_hash"
) -> None:
    """``target``: the rows of ``before`` that ``after`` lacks (sign -1) and the rows of
    ``after`` that ``before`` lacks (sign +1), rows compared by key and ``row_hash``. A row
    whose hash is the same says the same: it moves no figure. (A 64-bit hash collision would
    hide a change with odds of 1 in 2^64 per row.) The ``extra`` columns are left out."""
    same = _same_row(key)
    run_sql(
        base,
        f"CREATE OR REPLACE TEMP TABLE {target} AS "
        f"SELECT -1 AS sign, was.* EXCLUDE ({extra}) FROM {before} AS was "
        f"ANTI JOIN {after} AS now ON {same} UNION ALL "
        f"SELECT 1 AS sign, now.* EXCLUDE ({extra}) FROM {after} AS now "
        f"ANTI JOIN {before} AS was ON {same}",
    )


def _same_row(key: tuple[str, ...]) -> str:
    """The condition that rows ``was`` and ``now`` have the same key and say the same."""
    return " AND ".join(
        [*(f"now.{column} = was.{column}" for column in key), "now.row_hash = was.row_hash"]
    )


def everything(base) -> None:
    """On a full run (or a rebuild): every fact row is a change, with sign +1."""
    for view in FACT_VIEWS.values():
        run_sql(
            base, f"CREATE OR REPLACE TEMP VIEW changes_{view} AS SELECT 1 AS sign, * FROM {view}"
        )


def only_changed(sql: str, rebuild: bool) -> str:
    """A model's SQL as this run runs it: on a rebuild without its ``-- changed only`` lines
    (the filters to the changed keys, which would keep every key at a cost)."""
    if not rebuild:
        return sql
    return "\n".join(line for line in sql.splitlines() if not line.rstrip().endswith(CHANGED_ONLY))


def maintain(
    base, name: str, sql: str, how: Maintenance | None, rebuild: bool, followed: bool = True
) -> None:
    """Bring the table ``name`` up to date: in full when ``rebuild`` or when it is not
    maintained, else by its delta or its changed keys. A model kept by key that is
    ``followed`` (another model reads its changes) also leaves ``changes_<name>`` (its replaced
    rows with sign -1, their new versions with +1)."""
    exists = scalar(
        base,
        "SELECT count(*) FROM duckdb_tables() "
        "WHERE table_name = ? AND database_name = current_database()",
        [name],
    )
    if rebuild or how is None or not exists:
        run_sql(base, f"CREATE OR REPLACE TABLE {name} AS {only_changed(sql, rebuild=True)}")
        run_sql(
            base, f"CREATE OR REPLACE TEMP VIEW changes_{name} AS SELECT 1 AS sign, * FROM {name}"
        )
        return
    if how.kind == "by key" and not scalar(
        base, f"SELECT count(*) FROM (SELECT 1 FROM {how.keys_relation} LIMIT 1)"
    ):
        # No key to recompute: its SQL would still read its inputs whole to find none (the
        # fact views' checks are hash joins over every lead): 0.1-0.5 s a model at 1 M leads.
        run_sql(
            base,
            f"CREATE OR REPLACE TEMP TABLE changes_{name} AS "
            f"SELECT 1 AS sign, * FROM {name} LIMIT 0",
        )
        return
    run_sql(base, f"CREATE OR REPLACE TEMP TABLE delta AS {sql}")
    if how.kind == "by key" and followed:
        _replace_changed(base, name, how)
    elif how.kind == "by key":
        _replace_keys(base, name, how)
    else:
        _add(base, name, how.key)
    run_sql(base, "DROP TABLE delta")


def _replace_changed(base, name: str, how: Maintenance) -> None:
    """Replace the rows of ``name`` for the keys in ``how.keys_relation`` by the temp table
    ``delta`` (their recomputed rows), touching only the rows that really differ.

    Most recomputed rows come out as they were (a call's duration changed, not the lead's last
    contact): ``changes_<name>`` keeps only the rows that differ, so the models downstream
    follow real changes only, and the snapshot rewrites no more than those."""
    key = ", ".join(how.key)
    typed = _typed_columns(base, name)
    columns = ", ".join(f'"{column}"' for column, _ in typed)
    # Where the key mixes strings and numbers (the activity log's kind and event_id), the rows
    # are first narrowed by the numbers: a hash join on the strings of 12 M rows costs twice
    # one on the integers beside them.
    numbers = [column for column, kind in typed if column in how.key and kind != "VARCHAR"]
    narrowing = ""
    if numbers and len(numbers) < len(how.key):
        by = ", ".join(numbers)
        narrowing = f" SEMI JOIN (SELECT DISTINCT {by} FROM {how.keys_relation}) USING ({by})"
    run_sql(
        base,
        f"CREATE OR REPLACE TEMP TABLE kept_before AS "
        f"SELECT {columns}, hash({columns}) AS row_hash, row_id "
        f"FROM (SELECT *, rowid AS row_id FROM {name}{narrowing}) AS kept "
        f"SEMI JOIN {how.keys_relation} AS changed USING ({key})",
    )
    # The same columns as kept_before (no row yet: no row id), so that one comparison serves.
    run_sql(
        base,
        f"CREATE OR REPLACE TEMP TABLE kept_after AS "
        f"SELECT {columns}, hash({columns}) AS row_hash, NULL::BIGINT AS row_id FROM delta",
    )
    _signed_difference(
        base, f"changes_{name}", "kept_before", "kept_after", how.key, "row_hash, row_id"
    )
    # The replaced rows by their row ids: matching their keys again would be another pass over
    # the whole table (0.09 s for the activity log's 12 M rows).
    run_sql(
        base,
        f"DELETE FROM {name} WHERE rowid IN (SELECT row_id FROM kept_before AS was "
        f"ANTI JOIN kept_after AS now ON {_same_row(how.key)})",
    )
    run_sql(base, "DROP TABLE kept_before")
    run_sql(base, "DROP TABLE kept_after")
    run_sql(base, f"INSERT INTO {name} SELECT * EXCLUDE (sign) FROM changes_{name} WHERE sign = 1")


def _typed_columns(base, name: str) -> list[tuple[str, str]]:
    """The columns of the table ``name`` and their types, in order."""
    return run_sql(
        base,
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE table_name = ? AND database_name = current_database() "
        "AND schema_name = 'main' ORDER BY column_index",
        [name],
    )


def _replace_keys(base, name: str, how: Maintenance) -> None:
    """Replace the rows of ``name`` for the keys in ``how.keys_relation`` by the temp table
    ``delta``, as they come: with no model reading its changes, telling the rows that differ
    from those that came out the same would cost more than it saves (hashing both versions of
    every recomputed row: 0.3 s for the 44 k leads of the ranking after 1 % of the CRM
    changed)."""
    key = ", ".join(how.key)
    match = " AND ".join(f"{name}.{column} = changed.{column}" for column in how.key)
    run_sql(
        base,
        f"DELETE FROM {name} USING (SELECT {key} FROM {how.keys_relation} "
        f"UNION SELECT {key} FROM delta) AS changed WHERE {match}",
    )
    run_sql(base, f"INSERT INTO {name} SELECT * FROM delta")


def _add(base, name: str, key: tuple[str, ...]) -> None:
    """Add the temp table ``delta`` (sums by ``key``) to the rows of ``name``."""
    match = " AND ".join(f"{name}.{column} = delta.{column}" for column in key)
    typed = _typed_columns(base, name)
    columns = [column for column, _ in typed]
    summed = ", ".join(
        f"cast(sum({column}) AS {kind}) AS {column}" for column, kind in typed if column not in key
    )
    run_sql(
        base,
        f"CREATE OR REPLACE TEMP TABLE merged AS SELECT {', '.join(key)}, {summed} FROM ("
        f"SELECT {name}.* FROM {name} SEMI JOIN delta ON {match} "
        f"UNION ALL SELECT {', '.join(columns)} FROM delta) GROUP BY ALL",
    )
    # A key whose rows were all taken back is gone, as a rebuild would leave it.
    run_sql(base, "DELETE FROM merged WHERE fact_rows = 0")
    run_sql(base, f"DELETE FROM {name} USING delta WHERE {match}")
    run_sql(base, f"INSERT INTO {name} SELECT {', '.join(columns)} FROM merged")
    run_sql(base, "DROP TABLE merged")
