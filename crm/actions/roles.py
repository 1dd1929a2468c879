"""Who may take each action: the action families, the roles allowed each, and the check."""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral

import sqlalchemy as sa

from crm.actions.results import ActionRefused
from crm.actions.tables import STAFF, STAFF_COLUMNS

# What the brokerage's own systems send in (crm/actions/ingest_*.py): through the ingest API
# as an integration, from `python -m crm import`, or from the Import page as its manager.
INGEST_ACTIONS = frozenset(
    {"ingest_leads", "platform_event", "deposit_event", "dialer_call", "inbox_dismiss"}
)
# Lead distribution (issue 25): managers on the page, or the command line and its watcher.
DISTRIBUTION_ACTIONS = frozenset(
    {"distribution_rule", "distribution_shifts", "distribution_runs", "distribute"}
)
# Actions the trading platform (or an import) takes with no person behind them.
PLATFORM_ACTIONS = frozenset({"register", *INGEST_ACTIONS, *DISTRIBUTION_ACTIONS})
# Managing the integrations of the ingest API (crm/integrations.py): admins, or the command line.
INTEGRATION_ADMIN_ACTIONS = frozenset(
    {"integration_add", "integration_rotate", "integration_revoke", "staff_set_extension"}
)
# Staff accounts are also managed from the command line (python -m crm staff ...), by whoever
# holds the CRM's database URL: no person is signed in there either. crm.staff lets an actor of
# None through only when its caller says it is the command line.
COMMAND_LINE_ACTIONS = frozenset(
    {"staff_add", "staff_set_role", "staff_set_active", "staff_set_password"}
    | INTEGRATION_ADMIN_ACTIONS
)

# Who may take each action (issue 6). An action missing here is refused to everyone.
ADMIN = "admin"
ACCOUNT_MANAGER = "account_manager"
MANAGERS = ("admin", "sales_manager", "lead_manager")
ACTION_ROLES: dict[str, tuple[str, ...]] = {
    "assign": MANAGERS,
    "add_note": (*MANAGERS, ACCOUNT_MANAGER),
    "star": MANAGERS,
    "unstar": MANAGERS,
    "end_of_shift": MANAGERS,
    "undo_assignment": MANAGERS,
    "log_call": (ACCOUNT_MANAGER,),
    "assign_failed_deposit": MANAGERS,
    "assign_for_upsale": MANAGERS,
    "record_on_target_board": MANAGERS,
    "approve_compliance": MANAGERS,
    "register": MANAGERS,
    "set_calling_hours": MANAGERS,
    "set_working_days": MANAGERS,
    **dict.fromkeys(INGEST_ACTIONS, MANAGERS),
    **dict.fromkeys(DISTRIBUTION_ACTIONS, MANAGERS),
    **dict.fromkeys(COMMAND_LINE_ACTIONS, (ADMIN,)),
}
# Roles that act only on the leads they own.
OWN_LEADS_ONLY = frozenset({ACCOUNT_MANAGER})
ROLE_WORDS = {
    "admin": "an admin",
    "sales_manager": "a sales manager",
    "lead_manager": "a lead manager",
    "account_manager": "an account manager",
    "executive": "an executive",
}


def check_actor(
    connection: sa.Connection, actor_id: int | None, action: str, also: Iterable[int] = ()
) -> dict[int, sa.Row]:
    """Who may take an action: the one place a role check goes (``ACTION_ROLES``).

    The actor must be an active staff member whose role may take ``action``, read from the CRM
    in the action's own transaction, so a deactivated or demoted person is refused at once. An
    account manager is further held to their own leads (``Action.lock_leads``,
    ``Action.check_own_leads``).

    Returns the staff rows of the actor and of ``also`` (the AMs the action names), read in
    the same query: each round trip to the database counts in a 20 ms budget.
    """
    wanted = {int(i) for i in (*also, actor_id) if isinstance(i, Integral)}
    staff = (
        {
            row.id: row
            for row in connection.execute(
                sa.select(*STAFF_COLUMNS).where(STAFF.c.id.in_(sorted(wanted)))
            )
        }
        if wanted
        else {}
    )
    if actor_id is None:
        if action in PLATFORM_ACTIONS or action in COMMAND_LINE_ACTIONS:
            return staff
        raise ActionRefused(f"{action}: nobody is signed in; sign in and try again.")
    actor = staff.get(actor_id)
    if actor is None:
        raise ActionRefused(f"{action}: there is no staff member {actor_id}; sign in again.")
    if not actor.is_active:
        raise ActionRefused(f"{action}: {actor.name}'s account is inactive; ask an admin.")
    allowed = ACTION_ROLES.get(action, ())
    if actor.role not in allowed:
        raise ActionRefused(_not_allowed(action, actor, allowed))
    return staff


def _not_allowed(action: str, actor: sa.Row, allowed: tuple[str, ...]) -> str:
    words = action.replace("_", " ")
    if actor.role == "executive":
        return f"{words}: {actor.name} is an executive: executives read and change nothing."
    if allowed == (ACCOUNT_MANAGER,):
        return f"{actor.name} is not an account manager: only the AM who made a call logs it."
    if allowed == (ADMIN,):
        return f"{words}: only an admin manages staff accounts; {actor.name} is not one."
    who = " or ".join(ROLE_WORDS[role] for role in allowed)
    role = ROLE_WORDS.get(actor.role, actor.role)
    return f"{words}: {actor.name} is {role}; only {who} may do this."
