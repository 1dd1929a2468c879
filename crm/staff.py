"""Staff accounts: add a person, set their role, deactivate them, set their password; and the
demo's sign-in accounts.

Each change is an action (``crm.actions.core.run_action``): one transaction, refused unless
the actor is an active admin (``check_actor``), audited in ``audit_log`` without the password.
``actor_id=None`` is the command line (``python -m crm staff ...``), run by whoever holds the
CRM's database URL; a caller says so with ``command_line=True``, so a page can never act as
nobody.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa

from crm import sessions
from crm.actions.core import Action, run_action
from crm.actions.results import ActionRefused, ActionResult, new_action_id
from crm.actions.text import check_text
from crm.auth import EMAIL_MAX_CHARS, hash_password, normal_email
from crm.errors import UserError
from crm.models import DESKS, ROLES, CrmSetting, Lead, Staff, StaffHistory, Team, utcnow
from crm.time_zones import is_time_zone

STAFF = Staff.__table__
HISTORY = StaffHistory.__table__
# What staff_history keeps of a person: a change of any of these closes their row and opens one.
HISTORY_KEEPS = ("role", "desk", "team_id", "is_active")
LEADS = Lead.__table__
TEAMS = Team.__table__
SETTINGS = CrmSetting.__table__
ACCOUNT = ("name", "email", "role", "desk", "team_id", "time_zone", "is_active")
# crm_settings: the staff ids of the demo's sign-in accounts, one per role, comma-separated.
DEMO_ACCOUNTS = "demo_accounts"
DEMO_PASSWORD_BYTES = 12  # 16 characters of URL-safe base64


def add_staff(
    engine: sa.Engine,
    *,
    actor_id: int | None,
    name: str,
    email: str,
    role: str,
    desk: str | None = None,
    team_id: int | None = None,
    time_zone: str | None = None,
    password: str | None = None,
    action_id: str | None = None,
    command_line: bool = False,
    now: datetime | None = None,
) -> ActionResult:
    """A new staff account; with ``password``, they can sign in at once. ``details["staff_id"]``
    is the new account's id. Without ``time_zone`` the person sees times in their browser's
    zone (and, as an AM, works shifts in the floor's)."""
    _refuse_nobody(actor_id, command_line)
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ActionRefused("the name is empty or longer than 120 characters: give the full name.")
    check_text(name, "the name")
    email = normal_email(email)
    if "@" not in email or len(email) >= EMAIL_MAX_CHARS:
        raise ActionRefused(f"{email!r} is not an email address: give the person's work email.")
    check_role(role, desk)
    check_time_zone(time_zone)
    password_hash = _hash(password) if password is not None else None

    def work(action: Action) -> str:
        connection = action.connection
        taken = connection.scalar(
            sa.select(STAFF.c.name).where(sa.func.lower(STAFF.c.email) == email)
        )
        if taken is not None:
            raise ActionRefused(f"{email} is already {taken}'s account.")
        _check_team(connection, team_id, desk)
        values = {
            "name": name,
            "email": email,
            "role": role,
            "desk": desk,
            "team_id": team_id,
            "time_zone": time_zone,
            "is_active": True,
        }
        staff_id = connection.execute(
            STAFF.insert()
            .values(
                **values, password_hash=password_hash, created_at=action.now, updated_at=action.now
            )
            .returning(STAFF.c.id)
        ).scalar_one()
        _open_history(action, staff_id, values)
        action.audit(
            None, None, {"staff_id": staff_id, **values, "password_set": password_hash is not None}
        )
        action.details["staff_id"] = staff_id
        return f"{name} added as {_role(role)} (staff {staff_id})."

    return _run(engine, "staff_add", work, actor_id, action_id, now)


def set_role(
    engine: sa.Engine,
    *,
    actor_id: int | None,
    staff_id: int,
    role: str,
    desk: str | None = None,
    team_id: int | None = None,
    action_id: str | None = None,
    command_line: bool = False,
    now: datetime | None = None,
) -> ActionResult:
    """Give a person another role (an AM also a desk, and a team on it)."""
    _refuse_nobody(actor_id, command_line)
    check_role(role, desk)

    def work(action: Action) -> str:
        before = _account(action.connection, staff_id)
        _check_team(action.connection, team_id, desk)
        if before["role"] == "admin" and role != "admin":
            _refuse_last_admin(action.connection, staff_id, before["name"])
        changes = {"role": role, "desk": desk, "team_id": team_id}
        _update(action, staff_id, before, changes)
        return f"{before['name']} is now {_role(role)}."

    return _run(engine, "staff_set_role", work, actor_id, action_id, now)


def set_active(
    engine: sa.Engine,
    *,
    actor_id: int | None,
    staff_id: int,
    active: bool,
    action_id: str | None = None,
    command_line: bool = False,
    now: datetime | None = None,
) -> ActionResult:
    """Deactivate a person (they lose access at their next click) or reactivate them."""
    _refuse_nobody(actor_id, command_line)

    def work(action: Action) -> str:
        before = _account(action.connection, staff_id)
        if not active and before["role"] == "admin":
            _refuse_last_admin(action.connection, staff_id, before["name"])
        owned = 0
        if not active and before["role"] == "account_manager":
            owned = action.connection.scalar(
                sa.select(sa.func.count()).where(LEADS.c.am_id == staff_id)
            )
        _update(action, staff_id, before, {"is_active": bool(active)})
        if not active:  # signed-in browsers are signed out on the server, now
            sessions.end_all(action.connection, staff_id, "deactivated", action.now)
        if active:
            return f"{before['name']} is active again."
        still = f"; {owned:,} leads are still theirs: assign them to other AMs" if owned else ""
        return f"{before['name']} is deactivated{still}."

    return _run(engine, "staff_set_active", work, actor_id, action_id, now)


def set_password(
    engine: sa.Engine,
    *,
    actor_id: int | None,
    staff_id: int,
    password: str,
    action_id: str | None = None,
    command_line: bool = False,
    now: datetime | None = None,
) -> ActionResult:
    """Set (or reset) a person's password; only its argon2 hash is stored."""
    _refuse_nobody(actor_id, command_line)
    password_hash = _hash(password)

    def work(action: Action) -> str:
        before = _account(action.connection, staff_id)
        action.connection.execute(
            STAFF.update()
            .where(STAFF.c.id == staff_id)
            .values(password_hash=password_hash, updated_at=action.now)
        )
        action.audit(None, None, {"staff_id": staff_id, "password_set": True})
        # Whoever knew the old password may be signed in with it: every session ends.
        sessions.end_all(action.connection, staff_id, "password_changed", action.now)
        return f"{before['name']}'s password is set."

    return _run(engine, "staff_set_password", work, actor_id, action_id, now)


def staff_list(engine: sa.Engine) -> list[sa.Row]:
    """Every account, active first, with its team's name and whether it has a password."""
    statement = (
        sa.select(
            STAFF.c.id,
            STAFF.c.name,
            STAFF.c.email,
            STAFF.c.role,
            STAFF.c.desk,
            STAFF.c.team_id,
            TEAMS.c.name.label("team"),
            STAFF.c.is_active,
            STAFF.c.password_hash.is_not(None).label("has_password"),
        )
        .select_from(STAFF.outerjoin(TEAMS, TEAMS.c.id == STAFF.c.team_id))
        .order_by(STAFF.c.is_active.desc(), STAFF.c.name, STAFF.c.id)
    )
    with engine.connect() as connection:
        return connection.execute(statement).all()


def teams(engine: sa.Engine) -> list[sa.Row]:
    """Every team (id, name, desk), by name: what an AM can join."""
    with engine.connect() as connection:
        return connection.execute(
            sa.select(TEAMS.c.id, TEAMS.c.name, TEAMS.c.desk).order_by(TEAMS.c.name)
        ).all()


def staff_id_of(engine: sa.Engine, email: str) -> int:
    """The id of the account with ``email``; refused when there is none."""
    with engine.connect() as connection:
        staff_id = connection.scalar(
            sa.select(STAFF.c.id).where(sa.func.lower(STAFF.c.email) == normal_email(email))
        )
    if staff_id is None:
        raise ActionRefused(f"there is no staff account {normal_email(email)!r}.")
    return staff_id


# The demo's accounts ---------------------------------------------------------------------------


def is_demo(engine: sa.Engine) -> bool:
    """Whether ``python -m crm demo`` made this CRM (and marked it so)."""
    with engine.connect() as connection:
        return _setting(connection, "demo") == "true"


def demo_accounts(engine: sa.Engine) -> list[sa.Row]:
    """The demo's sign-in accounts (id, name, email, role), one per role; empty on a CRM the
    demo did not make."""
    with engine.connect() as connection:
        if _setting(connection, "demo") != "true":
            return []
        ids = [int(i) for i in (_setting(connection, DEMO_ACCOUNTS) or "").split(",") if i]
        if not ids:
            return []
        rows = connection.execute(
            sa.select(STAFF.c.id, STAFF.c.name, STAFF.c.email, STAFF.c.role).where(
                STAFF.c.id.in_(ids), STAFF.c.is_active.is_(True)
            )
        ).all()
    return sorted(rows, key=lambda row: ROLES.index(row.role))


def reset_demo_passwords(
    engine: sa.Engine, now: datetime | None = None
) -> list[tuple[sa.Row, str]]:
    """New passwords for the demo's accounts (chosen once: the first active person of each
    role), each stored hashed; returns each account with its password, to print once.

    Refused on a CRM the demo did not make: real accounts are never reset in bulk.
    """
    now = now or utcnow()
    if not is_demo(engine):
        raise ActionRefused(
            "this CRM was not made by `python -m crm demo`: set each password with "
            "`python -m crm staff set-password EMAIL`."
        )
    if not demo_accounts(engine):
        _choose_demo_accounts(engine, now)
    passwords = []
    for account in demo_accounts(engine):
        password = secrets.token_urlsafe(DEMO_PASSWORD_BYTES)
        set_password(
            engine,
            actor_id=None,
            staff_id=account.id,
            password=password,
            command_line=True,
            now=now,
        )
        passwords.append((account, password))
    return passwords


def _choose_demo_accounts(engine: sa.Engine, now: datetime) -> None:
    with engine.begin() as connection:
        chosen = []
        for role in ROLES:
            staff_id = connection.scalar(
                sa.select(sa.func.min(STAFF.c.id)).where(
                    STAFF.c.role == role, STAFF.c.is_active.is_(True)
                )
            )
            if staff_id is not None:
                chosen.append(str(staff_id))
        connection.execute(SETTINGS.delete().where(SETTINGS.c.key == DEMO_ACCOUNTS))
        connection.execute(
            SETTINGS.insert().values(key=DEMO_ACCOUNTS, value=",".join(chosen), updated_at=now)
        )


# Helpers ---------------------------------------------------------------------------------------


def _run(engine, action, work, actor_id, action_id, now) -> ActionResult:
    return run_action(
        engine, action, work, action_id=action_id or new_action_id(), actor_id=actor_id, now=now
    )


def _refuse_nobody(actor_id: int | None, command_line: bool) -> None:
    if actor_id is None and not command_line:
        raise ActionRefused("nobody is signed in: sign in as an admin and try again.")


def _hash(password: str) -> str:
    try:
        return hash_password(password)
    except UserError as error:  # the same one line, as an action's refusal
        raise ActionRefused(str(error)) from None


def check_role(role: str, desk: str | None) -> None:
    if role not in ROLES:
        raise ActionRefused(f"{role!r} is not a role: use one of {', '.join(ROLES)}.")
    if role == "account_manager" and desk not in DESKS:
        raise ActionRefused(f"an account manager works on a desk: give one of {', '.join(DESKS)}.")
    if role != "account_manager" and desk is not None:
        raise ActionRefused(f"only an account manager works on a desk; {_role(role)} has none.")


def check_time_zone(zone: str | None) -> None:
    if zone is not None and not is_time_zone(zone):
        raise ActionRefused(f"{zone!r} is not a time zone: use an IANA name like Europe/London.")


def _check_team(connection: sa.Connection, team_id: int | None, desk: str | None) -> None:
    if team_id is None:
        return
    team = connection.execute(
        sa.select(TEAMS.c.name, TEAMS.c.desk).where(TEAMS.c.id == team_id)
    ).first()
    if team is None:
        raise ActionRefused(f"there is no team {team_id}: pick one from the list.")
    if team.desk != desk:
        raise ActionRefused(f"{team.name} is a {team.desk} team: only {team.desk} AMs join it.")


def _account(connection: sa.Connection, staff_id: int) -> dict:
    row = connection.execute(
        sa.select(*(STAFF.c[name] for name in ACCOUNT)).where(STAFF.c.id == staff_id)
    ).first()
    if row is None:
        raise ActionRefused(f"there is no staff member {staff_id}: reload the list.")
    return dict(row._mapping)


def _update(action: Action, staff_id: int, before: dict, changes: dict) -> None:
    action.connection.execute(
        STAFF.update().where(STAFF.c.id == staff_id).values(**changes, updated_at=action.now)
    )
    after = {**before, **changes}
    if any(before[column] != after[column] for column in HISTORY_KEEPS):
        # The open row ends now and the new one starts now.
        closed = action.connection.execute(
            HISTORY.update()
            .where(HISTORY.c.staff_id == staff_id, HISTORY.c.valid_to.is_(None))
            .values(valid_to=action.now, updated_at=action.now)
        ).rowcount
        if not closed:
            # A person written by a writer that keeps no history (an import, the demo's
            # generator): what they were until now is kept first, since their account began.
            began = action.connection.scalar(
                sa.select(STAFF.c.created_at).where(STAFF.c.id == staff_id)
            )
            action.connection.execute(
                HISTORY.insert().values(
                    staff_id=staff_id,
                    **{column: before[column] for column in HISTORY_KEEPS},
                    valid_from=min(began or action.now, action.now),
                    valid_to=action.now,
                    updated_at=action.now,
                )
            )
        _open_history(action, staff_id, after)
    action.audit(None, {"staff_id": staff_id, **before}, {"staff_id": staff_id, **after})


def _open_history(action: Action, staff_id: int, account: dict) -> None:
    action.connection.execute(
        HISTORY.insert().values(
            staff_id=staff_id,
            **{column: account[column] for column in HISTORY_KEEPS},
            valid_from=action.now,
            valid_to=None,
            updated_at=action.now,
        )
    )


def _refuse_last_admin(connection: sa.Connection, staff_id: int, name: str) -> None:
    others = connection.scalar(
        sa.select(sa.func.count()).where(
            STAFF.c.role == "admin", STAFF.c.is_active.is_(True), STAFF.c.id != staff_id
        )
    )
    if not others:
        raise ActionRefused(f"{name} is the last active admin: make someone else admin first.")


def _role(role: str) -> str:
    return {
        "admin": "an admin",
        "account_manager": "an account manager",
        "executive": "an executive",
    }.get(role, "a " + role.replace("_", " "))


def _setting(connection: sa.Connection, key: str) -> str | None:
    return connection.scalar(sa.select(SETTINGS.c.value).where(SETTINGS.c.key == key))
