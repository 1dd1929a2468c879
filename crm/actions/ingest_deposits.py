"""A payment provider's events for a deposit attempt, which arrive out of order and twice.

Each attempt is one row per provider and transaction id. Its state moves only forward, by
rank: pending, then a decision (approved or declined), then a reversal (refunded or charged
back). An event of a lower rank than the row's is late and changes nothing; one of the same
rank counts only if the provider decided it later (``decided_at``). So the attempt ends in the
same state whatever order its events came in. The first event seen creates the attempt; a
``created`` event arriving after its decision still moves the attempt time back to it.

Balance and FTD follow the platform's logic the simulator uses: an approval credits the
balance (in the account's currency) and a lead's first approval is its FTD; a reversal takes
the credit back. None of this bumps the lead's ``version``: no person's view goes stale.

An attempt of an unowned lead becoming declined runs the distribution rules for the lead in the
same transaction, when that option is on (``crm.distribution.occasions``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from crm.actions.claims import Deferred
from crm.actions.core import Action, run_action
from crm.actions.ingest_core import (
    FieldRefused,
    find_lead,
    keep_waiting,
    lead_reference_text,
    mark_applied,
    update_row,
)
from crm.actions.results import ActionResult
from crm.actions.state import jsonable
from crm.actions.tables import LEADS
from crm.distribution.occasions import declined_occasion, distribute_occasions, read_runs
from crm.models import Call, Currency, DepositAttempt
from crm.types import CENT

DEPOSITS = DepositAttempt.__table__
# Run for every deposit event: built once.
_ATTEMPT = (
    sa.select(DEPOSITS)
    .where(
        DEPOSITS.c.provider == sa.bindparam("attempt_provider"),
        DEPOSITS.c.provider_transaction_id == sa.bindparam("attempt_transaction"),
    )
    .with_for_update()
)
_NEW_ATTEMPT = DEPOSITS.insert().returning(DEPOSITS.c.id)
CALLS = Call.__table__
_CALLED_BEFORE = (
    sa.select(CALLS.c.id)
    .where(
        CALLS.c.lead_id == sa.bindparam("called_lead"),
        CALLS.c.started_at < sa.bindparam("called_before"),
    )
    .limit(1)
)
CURRENCIES = Currency.__table__
RANK = {"pending": 0, "approved": 1, "declined": 1, "refunded": 2, "charged_back": 2}
REVERSED = ("refunded", "charged_back")
AUDITED = ("status", "decline_reason", "raw_decline_code", "decided_at", "created_at")


def credited(status: str) -> bool:
    """Whether the money of an attempt in this state is on the client's balance."""
    return status == "approved"


def record_deposit_event(
    target: sa.Engine | sa.Connection,
    event: dict,
    *,
    action_id: str,
    event_id: str,
    actor_id: int | None = None,
    integration_id: int | None = None,
    inbox_id: int | None = None,
    now: datetime | None = None,
    deferred: Deferred | None = None,
) -> ActionResult:
    """Apply one clean deposit event (``crm.ingest.validation.clean_deposit_event``).

    ``details["status"]``: ``applied`` (the attempt changed), ``ignored`` (a late or repeated
    status: nothing written) or ``waiting`` (no such lead yet: kept in the inbox).
    """

    def work(action: Action) -> str:
        lead = find_lead(
            action, event["lead"], LEADS.c.balance, LEADS.c.currency, LEADS.c.ftd_at, LEADS.c.status
        )
        if lead is None:
            reason = f"{lead_reference_text(event['lead'])} is not in the CRM yet"
            keep_waiting(action, "deposit", event, event_id, reason)
            return f"deposit event kept until its lead arrives: {reason}."
        mark_applied(action, inbox_id)
        row = action.connection.execute(
            _ATTEMPT,
            {"attempt_provider": event["provider"], "attempt_transaction": event["transaction_id"]},
        ).first()
        if row is not None and row.lead_id != lead.id:
            raise FieldRefused("transaction_id", "belongs to a deposit of another lead")
        decided = None if event["status"] == "pending" else event["occurred_at"]
        if row is None:
            return _create(action, event, lead, decided)
        return _update(action, event, lead, row, decided)

    return run_action(
        target,
        "deposit_event",
        work,
        action_id=action_id,
        actor_id=actor_id,
        integration_id=integration_id,
        now=now,
        deferred=deferred,
    )


def _create(action: Action, event: dict, lead: sa.Row, decided: datetime | None) -> str:
    status = event["status"]
    # Both rates a credit in another currency than the account's needs, in one read.
    rates = _usd_rates(action, event["currency"], lead.currency)
    amount_usd = (event["amount"] * _rate(rates, event["currency"])).quantize(CENT, ROUND_HALF_UP)
    # A reversal seen first was approved before it: the FTD and self-deposit flags are the
    # approval's, taken at the reversal's time, the best known.
    ever_approved = status == "approved" or status in REVERSED
    is_ftd = ever_approved and lead.ftd_at is None
    values = {
        "lead_id": lead.id,
        "am_id": lead.am_id,
        "amount": event["amount"],
        "currency": event["currency"],
        "amount_usd": amount_usd,
        "method": event["method"],
        "provider": event["provider"],
        "provider_transaction_id": event["transaction_id"],
        "status": status,
        "decline_reason": event["decline_reason"] if status == "declined" else None,
        "raw_decline_code": event["raw_decline_code"] if status == "declined" else None,
        "decided_at": decided,
        "is_self_deposit": ever_approved and _self_deposit(action, lead, event["occurred_at"]),
        "is_ftd": is_ftd,
        "created_at": event["occurred_at"],
        "updated_at": action.now,
    }
    deposit_id = action.connection.execute(_NEW_ATTEMPT, values).scalar_one()
    if ever_approved:
        _credit(action, lead, event, +1 if credited(status) else 0, ftd=is_ftd, rates=rates)
    action.details.update(status="applied", deposit_id=deposit_id, lead_id=lead.id)
    action.audit(lead.id, None, jsonable({"deposit_id": deposit_id, **_audited(values)}))
    if status == "declined":
        _declined(action, lead, event["amount"], event["currency"], values["decline_reason"])
    return f"deposit {deposit_id} recorded as {status.replace('_', ' ')}."


def _update(action, event, lead, row, decided) -> str:
    status = event["status"]
    changes: dict = {}
    if event["occurred_at"] < row.created_at and status == "pending":
        changes["created_at"] = event["occurred_at"]
    later = RANK[status] > RANK[row.status] or (
        RANK[status] == RANK[row.status]
        and status != row.status
        and decided is not None
        and (row.decided_at is None or decided > row.decided_at)
    )
    if later:
        changes.update(status=status, decided_at=decided)
        changes["decline_reason"] = event["decline_reason"] if status == "declined" else None
        changes["raw_decline_code"] = event["raw_decline_code"] if status == "declined" else None
        first_approval = row.status in ("pending", "declined") and status != "declined"
        if first_approval:
            changes["is_ftd"] = lead.ftd_at is None
            changes["is_self_deposit"] = _self_deposit(action, lead, decided)
        step = int(credited(status)) - int(credited(row.status))
        if step or first_approval:
            _credit(
                action,
                lead,
                event,
                step,
                ftd=first_approval and lead.ftd_at is None,
                amount=row.amount,
                currency=row.currency,
            )
    action.details.update(deposit_id=row.id, lead_id=lead.id)
    if not changes:
        action.details["status"] = "ignored"
        action.unchanged = True
        return f"deposit {row.id} is already {row.status.replace('_', ' ')}: nothing changed."
    update_row(action.connection, DEPOSITS, row.id, {**changes, "updated_at": action.now})
    before = {name: getattr(row, name) for name in AUDITED}
    action.audit(
        lead.id,
        jsonable({"deposit_id": row.id, **before}),
        jsonable({"deposit_id": row.id, **before, **_audited(changes)}),
    )
    action.details["status"] = "applied"
    if changes.get("status") == "declined":
        _declined(action, lead, row.amount, row.currency, changes["decline_reason"])
    return f"deposit {row.id} is now {changes.get('status', row.status).replace('_', ' ')}."


def _declined(action: Action, lead: sa.Row, amount, currency: str, reason: str | None) -> None:
    """The rules run for an unowned lead whose attempt was just declined (the option on). Only
    a change to declined gets here: the same event again changes nothing and runs nothing."""
    if lead.am_id is not None:
        return
    occasion = declined_occasion(read_runs(action.connection), amount, currency, reason)
    if occasion is not None:
        for decision in distribute_occasions(action, {lead.id: occasion}):
            action.details["distribution"] = decision.explanation


def _credit(
    action, lead, event, step: int, *, ftd: bool, amount=None, currency=None, rates=None
) -> None:
    """Credit (+1) or take back (-1) the deposit on the balance; an FTD converts the lead."""
    amount = event["amount"] if amount is None else amount
    currency = event["currency"] if currency is None else currency
    values: dict = {"updated_at": action.now}
    if step:
        if currency != lead.currency:
            if rates is None or not {currency, lead.currency} <= rates.keys():
                rates = _usd_rates(action, currency, lead.currency)
            rate = _rate(rates, currency) / _rate(rates, lead.currency)
            amount = (amount * rate).quantize(CENT, ROUND_HALF_UP)
        values["balance"] = Decimal(lead.balance) + step * amount
    if ftd:
        values["ftd_at"] = event["occurred_at"]
        if lead.status not in ("converted", "retention"):
            values["status"] = "converted"
    update_row(action.connection, LEADS, lead.id, values)


def _self_deposit(action: Action, lead: sa.Row, at: datetime) -> bool:
    """Made without an AM: the lead has none, or no call reached it before the deposit."""
    if lead.am_id is None:
        return True
    called = action.connection.scalar(_CALLED_BEFORE, {"called_lead": lead.id, "called_before": at})
    return called is None


def _usd_rates(action: Action, *codes: str) -> dict[str, Decimal]:
    """The USD rates of those of ``codes`` the brokerage takes (each read once for the
    actions sharing ``action.shared``: a PSP's array names the same few currencies)."""
    known = action.shared.setdefault("usd_rates", {})
    missing = sorted(set(codes) - known.keys())
    if missing:
        known.update(
            (code, Decimal(rate))
            for code, rate in action.connection.execute(_RATES, {"rate_codes": missing})
        )
    return {code: known[code] for code in codes if code in known}


def _rate(rates: dict[str, Decimal], code: str) -> Decimal:
    if code not in rates:
        raise FieldRefused("currency", "is not a currency the brokerage takes")
    return rates[code]


_RATES = sa.select(CURRENCIES.c.code, CURRENCIES.c.usd_rate).where(
    CURRENCIES.c.code.in_(sa.bindparam("rate_codes", expanding=True))
)


def _audited(values: dict) -> dict:
    return {
        name: values[name] for name in (*AUDITED, "amount", "currency", "is_ftd") if name in values
    }
