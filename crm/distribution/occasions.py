"""The distribution's optional runs (issue 25, item 4): for an unowned lead who logs in after
``N`` days away, and for an unowned lead whose deposit attempt is declined.

Both are switched for the whole rule set, not per rule: they say *when* the rules run, the rules
say *who* receives. Per rule, a lead whose first matching rule had the option off would either
stay unassigned though a later rule would take it, or fall through to a rule that was never
meant for it (first match wins); one switch keeps "the same rules" meaning the same thing for
a registration, a return and a declined deposit, and ``N`` is the floor's one idea of "away".

The options are floor settings in ``crm_settings`` (like the calling hours), set by
``crm.actions.distribution.set_runs``. The checks here are what every way in shares (the
ingest API's platform and deposit events, an import, the simulator): each decides from the
lead as the event's own transaction holds it, so a repeated or concurrent event finds the lead
owned (or its last login moved on) and runs nothing again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from crm.actions.core import Action
from crm.actions.tables import LEADS
from crm.distribution.assign import LOCKED_COLUMNS, WAITING, WAITING_COLUMNS, Run, active_setup
from crm.distribution.decide import Decision
from crm.models import CrmSetting

SETTINGS = CrmSetting.__table__
RETURNING = "distribution_returning"
RETURNING_DAYS = "distribution_returning_days"
FAILED_DEPOSITS = "distribution_failed_deposits"
KEYS = (RETURNING, RETURNING_DAYS, FAILED_DEPOSITS)
DEFAULT_RETURNING_DAYS = 14
MAX_RETURNING_DAYS = 3_650
# Read at every login of an unowned lead: built once.
_READ = sa.select(SETTINGS.c.key, SETTINGS.c.value).where(SETTINGS.c.key.in_(KEYS))


@dataclass(frozen=True)
class Runs:
    """Which optional runs are on: ``returning`` after ``returning_days`` away, and
    ``failed_deposits``."""

    returning: bool = False
    returning_days: int = DEFAULT_RETURNING_DAYS
    failed_deposits: bool = False

    def text(self) -> str:
        """The options in a line, as the page and the command line say them."""
        back = (
            f"returning leads after {self.returning_days} days away"
            if self.returning
            else f"returning leads off (would be after {self.returning_days} days away)"
        )
        failed = "failed deposits " + ("on" if self.failed_deposits else "off")
        return f"{back}; {failed}"


def stored_settings(connection: sa.Connection) -> dict[str, str]:
    """The ``crm_settings`` rows of the optional runs that are there."""
    return dict(connection.execute(_READ).all())


def read_runs(connection: sa.Connection) -> Runs:
    """The optional runs as the CRM holds them now (both off when never set)."""
    return runs_of(stored_settings(connection))


def runs_of(values: Mapping[str, str]) -> Runs:
    """The optional runs from their ``crm_settings`` rows (defaults for those missing)."""
    days = values.get(RETURNING_DAYS, "")
    return Runs(
        returning=values.get(RETURNING) == "on",
        returning_days=int(days) if days.isdigit() else DEFAULT_RETURNING_DAYS,
        failed_deposits=values.get(FAILED_DEPOSITS) == "on",
    )


def settings_of(runs: Runs) -> dict[str, str]:
    """``runs`` as the ``crm_settings`` rows that keep them."""
    return {
        RETURNING: "on" if runs.returning else "off",
        RETURNING_DAYS: str(runs.returning_days),
        FAILED_DEPOSITS: "on" if runs.failed_deposits else "off",
    }


def days_away(login_at: datetime, last_seen: datetime | None) -> int | None:
    """Whole days between the lead's last login (else its registration, ``last_seen``) and
    this login; None when this login is not the newest (a late event) or nothing is known."""
    if last_seen is None or login_at <= last_seen:
        return None
    return (login_at - last_seen) // timedelta(days=1)


def returning_occasion(runs: Runs, login_at: datetime, last_seen: datetime | None) -> str | None:
    """Why the rules run at this login ("returned after 12 days away"), or None: the option is
    off, or the lead was away fewer than N days."""
    if not runs.returning:
        return None
    days = days_away(login_at, last_seen)
    if days is None or days < runs.returning_days:
        return None
    return f"returned after {days} days away"


def declined_occasion(runs: Runs, amount: Decimal, currency: str, reason: str | None) -> str | None:
    """Why the rules run at a declined deposit ("failed deposit 250.00 USD declined:
    insufficient funds"), or None when the option is off."""
    if not runs.failed_deposits:
        return None
    why = f": {reason}" if reason else ""
    return f"failed deposit {Decimal(amount):,.2f} {currency} declined{why}"[:200]


def returning_logins(
    runs: Runs, logins: Mapping[int, tuple[datetime, datetime | None]]
) -> dict[int, str]:
    """The occasions of several logins: ``{lead id: (login time, last seen before it)}`` of
    unowned leads → ``{lead id: why}`` for those returning."""
    found = {}
    for lead_id, (login_at, last_seen) in logins.items():
        if occasion := returning_occasion(runs, login_at, last_seen):
            found[lead_id] = occasion
    return found


def distribute_occasions(action: Action, occasions: Mapping[int, str]) -> list[Decision]:
    """Distribute unowned leads the rules run for outside their registration (a login after
    days away, a declined deposit: ``crm.distribution.occasions``). ``occasions``: lead id →
    why it ran, which starts each explanation (and stays with a lead that has to wait). A lead
    owned by then, or held by another transaction, is left as it is. Does nothing while no
    rule is switched on.

    The callers hold their leads already (the event's action locked the lead to record it):
    the leads are read locked, with their waiting rows, in one statement before the pool rows.
    ``SKIP LOCKED`` keeps that order from waiting on anyone, so it cannot deadlock."""
    if not occasions:
        return []
    rules, people = active_setup(action)
    if not rules:
        return []
    rows = action.connection.execute(
        sa.select(*LOCKED_COLUMNS, *(c.label(f"waiting_{c.name}") for c in WAITING_COLUMNS))
        .select_from(LEADS.outerjoin(WAITING, WAITING.c.lead_id == LEADS.c.id))
        .where(LEADS.c.id.in_(sorted(occasions)))
        .order_by(LEADS.c.id)
        .with_for_update(of=LEADS, skip_locked=True)
    ).all()
    leads = sorted(
        (
            {c.name: row._mapping[c.name] for c in LOCKED_COLUMNS}
            for row in rows
            if row.am_id is None
        ),
        key=lambda lead: (lead["registered_at"], lead["id"]),
    )
    if not leads:
        return []
    run = Run(action, rules, people, leads)
    run.occasions.update(occasions)
    run.know_waiting(
        _Waiting(row.waiting_lead_id, row.waiting_reason, row.waiting_rule_id, row.waiting_occasion)
        for row in rows
        if row.waiting_lead_id is not None and row.am_id is None
    )
    run.decide(leads)
    return run.finish()


@dataclass(frozen=True)
class _Waiting:
    """A lead's row of ``distribution_waiting``, as a run keeps it."""

    lead_id: int
    reason: str
    rule_id: int | None
    occasion: str | None
