"""What the payment desk's reviews decide: failed deposits, new deposits, compliance."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from crm.actions.checks import clean_note, seen_versions, whole
from crm.actions.core import Action, run_action
from crm.actions.leads import assign_leads
from crm.actions.ownership import check_taking, on_the_list, taken_words
from crm.actions.results import ActionRefused, ActionResult
from crm.actions.tables import LEADS
from crm.actions.text import printable
from crm.models import DepositAttempt, Staff, TargetBoardEntry

DEPOSITS = DepositAttempt.__table__
BOARD = TargetBoardEntry.__table__
STAFF = Staff.__table__


def assign_failed_deposit(
    target: sa.Engine | sa.Connection,
    *,
    actor_id: int,
    action_id: str,
    deposit_id: int,
    am_id: int,
    version: int,
    note: str | None = None,
    star: bool = False,
    now: datetime | None = None,
) -> ActionResult:
    """Assign the lead of a declined deposit to an AM, with a note stating the decline reason
    (and the manager's words after it), so the AM can help the client deposit; with ``star``,
    on the AM's list now. Taking the lead from another AM needs the manager's own words."""
    deposit_id = whole(deposit_id, "deposit id")
    am_id = whole(am_id, "account manager", none=True)
    extra = clean_note(note, required=False)

    def work(action: Action) -> str:
        deposit = find_deposit(action, deposit_id)
        if deposit.status != "declined":
            raise ActionRefused(
                f"deposit {deposit_id} was {deposit.status}, not declined: nothing to follow up."
            )
        text = decline_note(deposit, extra)
        rows = action.lock_leads(seen_versions({deposit.lead_id: version}), LEADS.c.ftd_at)
        am = action.account_manager(am_id)
        taken = check_taking(action, rows, am, None, extra)
        assign_leads(
            action,
            rows,
            am_id=am_id,
            reason="failed_deposit",
            note=text,
            audit_extra={"deposit_id": deposit_id},
            star=star,
        )
        action.details["note"] = text
        message = f"lead {deposit.lead_id} assigned to {am.name} with the decline reason"
        return message + on_the_list(action, rows, am, star) + taken_words(taken, am) + "."

    return run_action(
        target,
        "assign_failed_deposit",
        work,
        action_id=action_id,
        actor_id=actor_id,
        now=now,
        staff=(am_id,),
    )


def assign_for_upsale(
    target: sa.Engine | sa.Connection,
    *,
    actor_id: int,
    action_id: str,
    deposit_id: int,
    am_id: int,
    version: int,
    note: str | None = None,
    star: bool = False,
    now: datetime | None = None,
) -> ActionResult:
    """A self deposit: assign its lead to an AM for upsale, as a high-priority lead; with
    ``star``, on the AM's list now. Taking the lead from another AM needs a note."""
    deposit_id = whole(deposit_id, "deposit id")
    am_id = whole(am_id, "account manager", none=True)
    text = clean_note(note, required=False)

    def work(action: Action) -> str:
        deposit = find_deposit(action, deposit_id)
        _refuse_unless_approved(deposit)
        if not deposit.is_self_deposit:
            raise ActionRefused(
                f"deposit {deposit_id} was made with an AM, not on the client's own: record it on "
                "that AM's target board instead."
            )
        rows = action.lock_leads(seen_versions({deposit.lead_id: version}), LEADS.c.ftd_at)
        am = action.account_manager(am_id)
        taken = check_taking(action, rows, am, None, text)
        assign_leads(
            action,
            rows,
            am_id=am_id,
            reason="upsale",
            note=text,
            changes={"priority": "high"},
            audit_extra={"deposit_id": deposit_id},
            star=star,
        )
        message = f"lead {deposit.lead_id} assigned to {am.name} for upsale, high priority"
        return message + on_the_list(action, rows, am, star) + taken_words(taken, am) + "."

    return run_action(
        target,
        "assign_for_upsale",
        work,
        action_id=action_id,
        actor_id=actor_id,
        now=now,
        staff=(am_id,),
    )


def record_on_target_board(
    target: sa.Engine | sa.Connection,
    *,
    actor_id: int,
    action_id: str,
    deposit_id: int,
    now: datetime | None = None,
) -> ActionResult:
    """A deposit on an AM-owned account: record it on that AM's target board, once.

    The lead itself does not change, so no version is checked.
    """
    deposit_id = whole(deposit_id, "deposit id")

    def work(action: Action) -> str:
        amount_usd, am_name = record_deposit(action, deposit_id)
        return f"{amount_usd:,.2f} USD recorded on {am_name}'s target board."

    return run_action(
        target, "record_on_target_board", work, action_id=action_id, actor_id=actor_id, now=now
    )


def approve_compliance(
    target: sa.Engine | sa.Connection,
    *,
    actor_id: int,
    action_id: str,
    lead_id: int,
    version: int,
    am_id: int,
    now: datetime | None = None,
) -> ActionResult:
    """Compliance approved after a deposit: the client goes to a retention AM."""
    lead_id = whole(lead_id, "lead id")
    am_id = whole(am_id, "account manager", none=True)

    def work(action: Action) -> str:
        rows = action.lock_leads(
            seen_versions({lead_id: version}), LEADS.c.ftd_at, LEADS.c.compliance_status
        )
        lead = rows[lead_id]
        if lead.ftd_at is None:
            raise ActionRefused(
                f"lead {lead_id} has not deposited yet: compliance is approved after a deposit."
            )
        if lead.compliance_status == "approved":
            raise ActionRefused(f"lead {lead_id}'s compliance is approved already.")
        am = assign_leads(
            action,
            rows,
            am_id=am_id,
            reason="retention",
            note=None,
            changes={"compliance_status": "approved"},
        )
        return f"compliance approved; lead {lead_id} assigned to {am.name} on the retention desk."

    return run_action(
        target,
        "approve_compliance",
        work,
        action_id=action_id,
        actor_id=actor_id,
        now=now,
        staff=(am_id,),
    )


def record_deposit(action: Action, deposit_id: int):
    """Record the approved deposit ``deposit_id`` of an AM-owned account on its AM's target
    board, once; returns (its USD amount, the AM's name)."""
    deposit = find_deposit(action, deposit_id)
    _refuse_unless_approved(deposit)
    if deposit.is_self_deposit or deposit.am_id is None:
        raise ActionRefused(
            f"deposit {deposit_id} is a self deposit: assign it for upsale instead."
        )
    am_name = action.connection.scalar(sa.select(STAFF.c.name).where(STAFF.c.id == deposit.am_id))
    recorded = action.connection.scalar(
        sa.select(BOARD.c.recorded_at).where(BOARD.c.deposit_id == deposit_id)
    )
    if recorded is not None:
        raise ActionRefused(
            f"deposit {deposit_id} is already on {am_name}'s target board (since "
            f"{recorded:%Y-%m-%d %H:%M} UTC)."
        )
    entry_id = action.connection.execute(
        BOARD.insert().returning(BOARD.c.id),
        {
            "am_id": deposit.am_id,
            "deposit_id": deposit_id,
            "amount_usd": deposit.amount_usd,
            "recorded_by_id": action.actor_id,
            "recorded_at": action.now,
            "created_at": action.now,
            "updated_at": action.now,
        },
    ).scalar_one()
    action.audit(
        deposit.lead_id,
        None,
        {
            "target_board_entry_id": entry_id,
            "am_id": deposit.am_id,
            "deposit_id": deposit_id,
            "amount_usd": str(deposit.amount_usd),
        },
    )
    action.details["target_board_entry_id"] = entry_id
    return deposit.amount_usd, am_name


def decline_note(deposit: sa.Row, extra: str | None) -> str:
    """The note of a failed deposit's assignment: the decline first, the manager's words after."""
    # The provider wrote the reason: a stray control character in it must not refuse the
    # manager's follow-up.
    reason = printable(deposit.decline_reason or "no reason given")
    stated = (
        f"Deposit of {deposit.amount} {deposit.currency} by {deposit.method.replace('_', ' ')}"
        f" ({deposit.provider}) declined: {reason}."
    )
    return clean_note(f"{stated} {extra}" if extra else stated, required=True)


def find_deposit(action: Action, deposit_id: int) -> sa.Row:
    deposit = action.connection.execute(
        sa.select(DEPOSITS).where(DEPOSITS.c.id == deposit_id)
    ).first()
    if deposit is None:
        raise ActionRefused(f"there is no deposit {deposit_id}: reload the list.")
    return deposit


def _refuse_unless_approved(deposit: sa.Row) -> None:
    if deposit.status != "approved":
        raise ActionRefused(
            f"deposit {deposit.id} was {deposit.status}, not approved: it is no new deposit."
        )
