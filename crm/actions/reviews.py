"""The deposit reviews in bulk (issue 22, item 7): many failed deposits assigned at once, each
lead to its own AM with its own decline reason, and many owned deposits recorded on their AMs'
target boards at once. One action, one transaction: all or nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from crm.actions.checks import BULK_LIMIT, clean_note, ids_text, seen_versions, whole
from crm.actions.core import Action, run_action
from crm.actions.deposits import decline_note, find_deposit, record_deposit
from crm.actions.leads import assign_leads
from crm.actions.results import ActionRefused, ActionResult
from crm.actions.tables import LEADS, STAFF


def assign_failed_deposits(
    target: sa.Engine | sa.Connection,
    *,
    actor_id: int,
    action_id: str,
    deposits: Mapping[int, int],
    am_id: int | None = None,
    note: str | None = None,
    star: bool = False,
    now: datetime | None = None,
    notes: Mapping[int, str] | None = None,
) -> ActionResult:
    """Assign the leads of many declined deposits (``{deposit id: version of its lead as
    seen}``), each with a note stating its own decline and the manager's words after it: its
    own (``notes``: ``{deposit id: words}``) or else ``note``, the words for all.

    Each lead goes to the active AM who owns it, so no lead is taken from its AM; a lead nobody
    (active) owns goes to ``am_id``, who must work on its desk. With ``star`` every lead is on
    its AM's list now.
    """
    seen = {
        whole(deposit_id, "deposit id"): whole(version, "version")
        for deposit_id, version in dict(deposits).items()
    }
    if not seen:
        raise ActionRefused("no deposit selected: select the failed deposits to assign.")
    if len(seen) > BULK_LIMIT:
        raise ActionRefused(f"{len(seen):,} deposits selected: assign at most {BULK_LIMIT:,}.")
    am_id = whole(am_id, "account manager", none=True)
    extra = clean_note(note, required=False)
    own: dict[int, str] = {}
    for deposit_id, words in dict(notes or {}).items():
        deposit_id = whole(deposit_id, "deposit id")
        if deposit_id not in seen:
            raise ActionRefused(f"deposit {deposit_id} has words but is not selected: reload.")
        cleaned = clean_note(words, required=False)
        if cleaned:
            own[deposit_id] = cleaned

    def work(action: Action) -> str:
        found = {deposit_id: find_deposit(action, deposit_id) for deposit_id in sorted(seen)}
        not_declined = sorted(i for i, deposit in found.items() if deposit.status != "declined")
        if not_declined:
            raise ActionRefused(
                f"deposit {ids_text(not_declined)} is not declined: nothing to follow up."
            )
        by_lead = Counter(deposit.lead_id for deposit in found.values())
        twice = sorted(lead_id for lead_id, count in by_lead.items() if count > 1)
        if twice:
            raise ActionRefused(
                f"lead {ids_text(twice)} has two of the selected deposits: select one per lead."
            )
        leads = {deposit.lead_id: seen[deposit_id] for deposit_id, deposit in found.items()}
        rows = action.lock_leads(seen_versions(leads), LEADS.c.ftd_at)
        assigned: Counter[str] = Counter()
        for deposit_id, deposit in found.items():
            row = rows[deposit.lead_id]
            active = row.am_id is not None and action.connection.scalar(
                sa.select(STAFF.c.is_active).where(STAFF.c.id == row.am_id)
            )
            to = row.am_id if active else am_id
            if to is None:
                raise ActionRefused(
                    f"lead {deposit.lead_id} has no active AM: choose the AM for the leads "
                    "nobody owns."
                )
            am = assign_leads(
                action,
                {deposit.lead_id: row},
                am_id=to,
                reason="failed_deposit",
                note=decline_note(deposit, own.get(deposit_id, extra)),
                audit_extra={"deposit_id": deposit_id},
                star=star,
            )
            assigned[am.name] += 1
        listed = ", ".join(f"{name} {count:,}" for name, count in sorted(assigned.items()))
        starred = "; starred: on their AMs' lists now" if star else ""
        return (
            f"{len(found):,} failed deposits assigned with their decline reasons ({listed})"
            f"{starred}."
        )

    return run_action(
        target,
        "assign_failed_deposit",
        work,
        action_id=action_id,
        actor_id=actor_id,
        now=now,
        staff=(am_id,),
    )


def record_on_target_boards(
    target: sa.Engine | sa.Connection,
    *,
    actor_id: int,
    action_id: str,
    deposit_ids: list[int],
    now: datetime | None = None,
) -> ActionResult:
    """Record many approved deposits of AM-owned accounts, each on the target board of the AM
    it is credited to; refused, recording none, if one is a self deposit or recorded already."""
    ids = sorted({whole(deposit_id, "deposit id") for deposit_id in deposit_ids})
    if not ids:
        raise ActionRefused("no deposit selected: select the deposits to record.")
    if len(ids) > BULK_LIMIT:
        raise ActionRefused(f"{len(ids):,} deposits selected: record at most {BULK_LIMIT:,}.")

    def work(action: Action) -> str:
        total = Decimal("0.00")
        recorded: Counter[str] = Counter()
        for deposit_id in ids:
            amount_usd, am_name = record_deposit(action, deposit_id)
            total += amount_usd
            recorded[am_name] += 1
        action.details["deposit_ids"] = ids
        listed = ", ".join(f"{name} {count:,}" for name, count in sorted(recorded.items()))
        return (
            f"{len(ids):,} deposits, {total:,.2f} USD in all, recorded on their AMs' target "
            f"boards ({listed})."
        )

    return run_action(
        target, "record_on_target_board", work, action_id=action_id, actor_id=actor_id, now=now
    )
