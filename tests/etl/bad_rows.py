"""Rows holding one bad value each, written as another program writes the CRM: the kinds
tests/etl/test_bad_rows.py feeds the ETL, and how to write, and fix, them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from crm.models import Base
from tests.etl.small_crm import AS_OF, assignment, at, call, deposit, email, lead
from tests.etl.small_crm import session as platform_session

T = Base.metadata.tables
FIRST_ID = 900  # the bad rows' ids, clear of the small brokerage's
RUN_AT = AS_OF + timedelta(minutes=1)
WRITTEN_AT = AS_OF + timedelta(seconds=30)


@dataclass(frozen=True)
class Bad:
    """A bad value: ``table.column`` set to the SQL literal ``sqlite`` / ``postgresql`` (None:
    that database cannot hold it) on a new, otherwise good row; ``quarantined`` the words its
    reason holds, or None when the row is kept (loaded harmlessly)."""

    name: str
    table: str
    column: str
    sqlite: str | None
    postgresql: str | None
    quarantined: str | None


def both(name, table, column, literal, quarantined) -> Bad:
    return Bad(name, table, column, literal, literal, quarantined)


def sqlite_only(name, table, column, literal, quarantined) -> Bad:
    return Bad(name, table, column, literal, None, quarantined)


def postgresql_only(name, table, column, literal, quarantined) -> Bad:
    return Bad(name, table, column, None, literal, quarantined)


INVALID_UTF8 = "CAST(x'4aff6f' AS TEXT)"
KINDS = [
    # Leads. A zone the warehouse does not know keeps the lead, its zone and local time blank.
    both("zone unknown", "leads", "time_zone", "'Mars/Olympus_Mons'", None),
    both("zone a folder", "leads", "time_zone", "'America'", None),
    both("zone blank", "leads", "time_zone", "''", None),
    both("status unknown", "leads", "status", "'vip'", "unknown status vip"),
    both("desk unknown", "leads", "desk", "'sales'", "unknown desk sales"),
    both("priority unknown", "leads", "priority", "'urgent'", "unknown priority urgent"),
    both("compliance unknown", "leads", "compliance_status", "'maybe'", "unknown compliance"),
    sqlite_only("version text", "leads", "version", "'abc'", "version missing or not"),
    sqlite_only("version real", "leads", "version", "1.5", "version missing or not"),
    sqlite_only("star text", "leads", "is_starred", "'yes'", "is_starred missing or not"),
    sqlite_only("AM missing", "leads", "am_id", "999", "AM 999 is missing"),
    sqlite_only("AM text", "leads", "am_id", "'x'", None),  # read as nobody's
    sqlite_only("balance text", "leads", "balance", "'lots'", "balance missing"),
    postgresql_only("balance NaN", "leads", "balance", "'NaN'", "balance missing"),
    both("balance huge", "leads", "balance", "'9999999999999999.99'", None),
    sqlite_only("registered text", "leads", "registered_at", "'yesterday'", "registered_at"),
    sqlite_only(
        "registered ISO", "leads", "registered_at", "'2026-03-09T10:00:00Z'", "registered_at"
    ),
    postgresql_only("registered -inf", "leads", "registered_at", "'-infinity'", "registered_at"),
    both(
        "registered long ago",
        "leads",
        "registered_at",
        "'1901-01-01 00:00:00.000000'",
        "registered_at before 2000",
    ),
    both("login far ahead", "leads", "last_login_at", "'9999-12-31 23:59:59.000000'", None),
    postgresql_only(
        "login +inf", "leads", "last_login_at", "'infinity'", "last_login_at not a time"
    ),
    postgresql_only("callback -inf", "leads", "callback_at", "'-infinity'", "callback_at not"),
    both("currency unknown", "leads", "currency", "'XYZ'", "unknown currency XYZ"),
    sqlite_only("email a blob", "leads", "email", "x'00ff'", "malformed email"),
    sqlite_only("name not UTF-8", "leads", "first_name", INVALID_UTF8, None),
    both("name with markup", "leads", "last_name", "'=HYPERLINK(\"x\")<b>'", None),
    # Calls.
    both("outcome unknown", "calls", "outcome", "'hung_up'", "unknown outcome hung_up"),
    sqlite_only("duration text", "calls", "duration_s", "'long'", "duration missing"),
    sqlite_only("duration beyond int", "calls", "duration_s", "1099511627776", "duration"),
    both("duration a lifetime", "calls", "duration_s", "2147483647", None),
    postgresql_only("started +inf", "calls", "started_at", "'infinity'", "started_at"),
    postgresql_only("started -inf", "calls", "started_at", "'-infinity'", "started_at"),
    both("started long ago", "calls", "started_at", "'0001-01-01 00:00:00.000000'", "started_at"),
    sqlite_only("call AM missing", "calls", "am_id", "999", "AM 999 is missing"),
    sqlite_only("call lead missing", "calls", "lead_id", "99999", "lead 99999 is missing"),
    sqlite_only("call lead text", "calls", "lead_id", "'two'", "lead_id missing or not"),
    sqlite_only("call AM text", "calls", "am_id", "'three'", "am_id missing or not"),
    # Deposit attempts.
    both("method unknown", "deposit_attempts", "method", "'cash'", "unknown method cash"),
    both("status unknown", "deposit_attempts", "status", "'chargeback'", "unknown status"),
    postgresql_only("amount NaN", "deposit_attempts", "amount", "'NaN'", "amount missing"),
    both("amount huge", "deposit_attempts", "amount", "'9999999999999999.99'", None),
    both(
        "USD amount huge",
        "deposit_attempts",
        "amount_usd",
        "'9999999999999999.99'",
        "USD amount over",
    ),
    sqlite_only("FTD text", "deposit_attempts", "is_ftd", "'yes'", "is_ftd missing or not"),
    postgresql_only("deposit +inf", "deposit_attempts", "created_at", "'infinity'", "created_at"),
    both(
        "decline with markup", "deposit_attempts", "decline_reason", "'![x](http://e/x.png)'", None
    ),
    # Platform sessions.
    sqlite_only("seen text", "platform_sessions", "last_seen_at", "'now'", "last_seen_at"),
    postgresql_only("seen +inf", "platform_sessions", "last_seen_at", "'infinity'", "last seen"),
    postgresql_only("login -inf", "platform_sessions", "login_at", "'-infinity'", "login_at"),
    # Notes, assignments, tickets, mails.
    both("note huge", "notes", "body", "'" + "long note " * 20_000 + "'", None),
    sqlite_only("note author text", "notes", "author_id", "'me'", "author_id missing or not"),
    both("reason unknown", "assignments", "reason", "'vip'", "unknown reason vip"),
    both("to desk unknown", "assignments", "to_desk", "'sales'", "unknown desk sales"),
    sqlite_only("to AM text", "assignments", "to_am_id", "'x'", "to_am_id missing or not"),
    both("ticket priority unknown", "support_tickets", "priority", "'p0'", "unknown priority p0"),
    both("ticket status unknown", "support_tickets", "status", "'reopened'", "unknown status"),
    postgresql_only("ticket -inf", "support_tickets", "opened_at", "'-infinity'", "opened_at"),
    both("template unknown", "email_outbox", "template", "'sms'", "unknown template sms"),
    both("mail status unknown", "email_outbox", "status", "'bounced'", "unknown status bounced"),
    sqlite_only("mail attempts text", "email_outbox", "attempts", "'x'", "attempts missing or"),
    # Targets, the board, staff, teams, currencies, settings, the audit log.
    postgresql_only("target NaN", "am_targets", "target_usd", "'NaN'", "target amount missing"),
    sqlite_only("target FTDs text", "am_targets", "target_ftds", "'x'", "target_ftds missing"),
    both("target period long", "am_targets", "period_end", "'9999-12-31'", None),
    postgresql_only("target endless", "am_targets", "period_end", "'infinity'", "target period"),
    sqlite_only("board time text", "target_board_entries", "recorded_at", "'x'", "recorded_at"),
    both(
        "board amount huge", "target_board_entries", "amount_usd", "'9999999999999999.99'", "amount"
    ),
    both("staff desk unknown", "staff", "desk", "'sales'", "unknown desk sales"),
    both("staff zone unknown", "staff", "time_zone", "'Mars/Olympus_Mons'", None),
    sqlite_only("staff active text", "staff", "is_active", "'yes'", "is_active missing or not"),
    both("team desk unknown", "teams", "desk", "'sales'", "unknown desk sales"),
    both("rate zero", "currencies", "usd_rate", "0", "USD rate missing"),
    both("rate huge", "currencies", "usd_rate", "999999999", None),
    sqlite_only("rate text", "currencies", "usd_rate", "'x'", "USD rate missing"),
    both("code lower case", "currencies", "code", "'qq'", "currency code"),
    both("calling hours garbage", "crm_settings", "value", "'all day'", "calling hours"),
    sqlite_only("audit JSON broken", "audit_log", "after", "'{not json'", None),
]


def good_row(table: str, row_id: int) -> dict:
    """A new row of ``table`` that passes every check, on lead 2 (Ben, Bea's) and AM 3 (Bea)."""
    if table == "leads":
        return lead(
            row_id,
            "Fay",
            f"Row{row_id}",
            f"fay{row_id}@mail.example",
            "GB",
            "Europe/London",
            "USD",
            "03-09 10:00",
        )
    if table == "calls":
        return call(row_id, 2, 3, "03-10 09:00", 60, "connected")
    if table == "deposit_attempts":
        return deposit(
            row_id,
            2,
            3,
            "10.00",
            "USD",
            "10.00",
            "card",
            "Stripe",
            "declined",
            "03-10 09:00",
            reason="card expired",
        )
    if table == "platform_sessions":
        return platform_session(row_id, 2, "03-10 08:00", "03-10 08:30", "03-10 08:30")
    if table == "notes":
        return dict(
            id=row_id,
            lead_id=2,
            author_id=3,
            body="call back",
            created_at=at("03-10 09:00"),
            updated_at=at("03-10 09:00"),
        )
    if table == "assignments":
        return assignment(row_id, 2, 3, 3, "conversion", "follow_up", "03-10 09:00")
    if table == "support_tickets":
        return dict(
            id=row_id,
            lead_id=2,
            owner_id=3,
            subject="Help",
            priority="normal",
            status="open",
            opened_at=at("03-10 09:00"),
            created_at=at("03-10 09:00"),
            updated_at=at("03-10 09:00"),
        )
    if table == "email_outbox":
        return email(row_id, 2, "reach_you", "ben@mail.example", "03-10 09:00", "03-10 09:01")
    if table == "am_targets":
        first = date(2025, 1, 1) + timedelta(days=row_id)
        return dict(
            id=row_id,
            am_id=3,
            period_start=first,
            period_end=first + timedelta(days=9),
            target_usd=100,
            target_ftds=1,
        )
    if table == "target_board_entries":
        return dict(
            id=row_id,
            am_id=3,
            deposit_id=row_id,
            amount_usd=10,
            recorded_by_id=1,
            recorded_at=at("03-10 10:00"),
            created_at=at("03-10 10:00"),
            updated_at=at("03-10 10:00"),
        )
    if table == "staff":
        return dict(
            id=row_id,
            name=f"Gus {row_id}",
            email=f"gus{row_id}@b.example",
            role="account_manager",
            desk="conversion",
            team_id=1,
            time_zone="Europe/London",
            is_active=True,
        )
    if table == "teams":
        return dict(id=row_id, name=f"Team {row_id}", desk="conversion")
    if table == "currencies":
        code = "Q" + chr(65 + row_id % 26) + chr(65 + row_id // 26 % 26)
        return dict(code=code, usd_rate=2, updated_at=at("01-01 00:00"))
    if table == "crm_settings":
        return dict(key="calling_hours", value="09:00-20:00", updated_at=at("01-01 00:00"))
    if table == "audit_log":
        return dict(
            id=row_id,
            action_id=f"a{row_id}",
            actor_id=1,
            action="assign",
            lead_id=2,
            before=None,
            after={"am_id": 3},
            at=at("03-10 09:00"),
            updated_at=at("03-10 09:00"),
        )
    raise AssertionError(table)


def key_of(table: str, row: dict) -> str:
    return str(row.get("id", row.get("code", row.get("key"))))


def write_bad_rows(engine: sa.Engine, kinds: list[Bad]) -> dict[tuple[str, str], Bad]:
    """Each kind's row, written good and then spoilt by a plain UPDATE (which leaves
    updated_at to the database, as another program's would); returns (table, key) → kind."""
    dialect = engine.dialect.name
    written = {}
    with engine.connect() as connection:
        pragma = connection.connection.driver_connection.execute
        if dialect == "sqlite":  # outside a transaction, where SQLite takes them
            pragma("PRAGMA foreign_keys = OFF")
            pragma("PRAGMA ignore_check_constraints = ON")
        with connection.begin():
            for number, kind in enumerate(kinds):
                row_id = FIRST_ID + number
                # Written now, as a writer stamps a new row (the incremental run reads it).
                row = good_row(kind.table, row_id) | {"updated_at": WRITTEN_AT}
                if kind.table == "target_board_entries":  # a deposit of its own
                    connection.execute(
                        sa.insert(T["deposit_attempts"]).values(
                            good_row("deposit_attempts", row_id)
                            | {"status": "approved", "updated_at": WRITTEN_AT}
                        )
                    )
                connection.execute(sa.insert(T[kind.table]).values(row))
                key_column = "id" if "id" in row else "code" if "code" in row else "key"
                literal = kind.sqlite if dialect == "sqlite" else kind.postgresql
                connection.exec_driver_sql(
                    f'UPDATE {kind.table} SET "{kind.column}" = {literal} '
                    f"WHERE {key_column} = '{row[key_column]}'"
                )
                if kind.column == key_column:
                    row = row | {key_column: literal.strip("'")}
                written[(kind.table, key_of(kind.table, row))] = kind
        if dialect == "sqlite":
            pragma("PRAGMA ignore_check_constraints = OFF")
            pragma("PRAGMA foreign_keys = ON")
    return written


def kinds_for(dialect: str) -> list[Bad]:
    return [kind for kind in KINDS if getattr(kind, dialect) is not None]


def fix_rows(engine: sa.Engine, fixed: list[tuple[str, str, Bad]]) -> None:
    """Put the good value back in each row, with a plain UPDATE again."""
    with engine.begin() as connection:
        for table, key, kind in fixed:
            # A currency's or a setting's key is a text; their good values do not depend on it.
            row_id = int(key) if key.isdigit() else FIRST_ID
            good = good_row(kind.table, row_id).get(kind.column)  # absent: NULL
            key_column = next(
                T[table].c[name] for name in ("id", "code", "key") if name in T[table].c
            )
            connection.execute(
                sa.update(T[table])
                .where(key_column == type(key_column.type.python_type())(key))
                .values({kind.column: good})
            )
