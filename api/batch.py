"""A JSON array of events on any endpoint: each event checked, applied and answered on its own.

Senders that have many events at once (a platform's bridge, a PSP's or dialer's queue, an
affiliate's nightly list) send up to ``MAX_BATCH`` in one request. One request costs the API
about as much as two or three events (the framework, the key, the signature, the connection,
one commit), so arrays carry several times the events a second that single requests do.

Each item is what the endpoint takes alone, with the same checks and the same idempotency (by
its own id). A bad item is named in the answer (``results[i]``, its fields) and not written;
the others are. A whole array of bad items is answered 422 like a single bad event. The items
are written in one transaction; a PSP's or dialer's array is one signed message (one
``webhook-id``), and its replay gets the first answer again.

An array is first applied in one go: its action ids claimed and its leads locked in one
statement each, no savepoint per item, the items' audit rows and stored results written
together at the end (``crm.actions.claims.Deferred``): a third of the round trips its items
took one by one, which under load were most of a request's time. When an action refuses an
item there (rare: the checks before caught the bad fields), or another request created the
same row meanwhile, the whole transaction is rolled back and the array applied again
carefully, each item in its own savepoint, so that one refused leaves nothing behind while
the rest are kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import sqlalchemy as sa

from api import endpoints
from api.guard import Caller, Refused
from crm import actions
from crm.ingest.validation import Context

MAX_BATCH = 100
# Each item's outcome, counted in the answer's summary.
OUTCOMES = {201: "applied", 200: "unchanged", 202: "waiting"}


def check_items(body: list, prepare: Callable, ctx: Context, webhook_id: str | None) -> list:
    """Each item checked as the endpoint checks one event: ``(index, event)`` for a good one,
    ``(index, Refused)`` for a bad one (its fields prefixed with ``[index].``)."""
    if not 1 <= len(body) <= MAX_BATCH:
        raise Refused(
            422,
            "invalid",
            f"send 1 to {MAX_BATCH} events at once",
            fields={"body": f"holds {len(body)} events"},
        )
    checked = []
    for index, item in enumerate(body):
        # An item without its own event id takes the message's, numbered (PSPs: event_id).
        item_webhook_id = None if webhook_id is None else f"{webhook_id}#{index}"
        try:
            checked.append((index, prepare(item, ctx, item_webhook_id)))
        except Refused as refused:
            if refused.fields is not None:
                refused.fields = {f"[{index}].{k}": v for k, v in refused.fields.items()}
            checked.append((index, refused))
    if all(isinstance(event, Refused) for _, event in checked):
        fields = {k: v for _, bad in checked for k, v in (bad.fields or {}).items()}
        raise Refused(
            422, "invalid", "; ".join(f"{k}: {v}" for k, v in fields.items()), fields=fields
        )
    return checked


class Redo(Exception):
    """An action refused an item of an array applied in one go: roll the request's transaction
    back and apply the array again with ``careful``."""


def apply_items(
    connection: sa.Connection,
    who: Caller,
    endpoint: str,
    checked: list,
    apply: Callable,
    ctx: Context,
    careful: bool = False,
) -> endpoints.Answer:
    """Apply the good items in the request's transaction (leads in one registration, the
    others in one go, or each in its own savepoint when ``careful``) and answer each item."""
    results: dict[int, dict] = {
        index: _refused(index, event) for index, event in checked if isinstance(event, Refused)
    }
    good = [(index, event) for index, event in checked if not isinstance(event, Refused)]
    new_leads: list[int] = []
    if endpoint == "leads":
        for index, answer in zip(
            (index for index, _ in good),
            _leads(connection, who, [event for _, event in good], ctx, new_leads),
            strict=True,
        ):
            results[index] = {"index": index, **answer}
    else:
        # Applied in the order of their lead and own id, not the array's: two arrays holding
        # the same events in another order then lock them in the same order, one waiting for
        # the other, instead of each holding what the other needs (a deadlock, on PostgreSQL).
        ordered = sorted(good, key=_lock_order)
        if careful:
            for index, event in ordered:
                results[index] = _one(connection, who, index, event, apply, ctx)
        else:
            results.update(_all(connection, who, endpoint, ordered, apply, ctx))
    ordered = [results[index] for index in range(len(checked))]
    counts = {"applied": 0, "unchanged": 0, "waiting": 0, "refused": 0}
    for item in ordered:
        counts[OUTCOMES.get(item["code"], "refused")] += 1
    if counts["refused"]:
        status = 207  # some items were refused: the sender must look at each
    elif counts["applied"]:
        status = 201
    elif counts["waiting"]:
        status = 202
    else:
        status = 200
    return endpoints.Answer(status, {**counts, "results": ordered}, None, new_leads)


def _all(connection, who, endpoint, ordered: list, apply, ctx) -> dict[int, dict]:
    """Every item applied without a savepoint: their action ids claimed and their leads locked
    in one statement each first, their audit and results written in two at the end; ``Redo``
    when an action refuses one (it may have written something before refusing)."""
    deferred = actions.Deferred()
    deferred.claim(
        connection,
        endpoints.ACTIONS[endpoint][0],
        (endpoints.action_id(endpoint, who, event) for _, event in ordered),
        integration_id=who.integration_id,
        now=ctx.now,
    )
    actions.lock_leads_ahead(
        connection, deferred, [event["lead"] for _, event in ordered if event.get("lead")]
    )
    results = {}
    for index, event in ordered:
        try:
            answer = apply(connection, who, event, ctx, None, deferred)
        except Refused:
            raise Redo() from None
        results[index] = {"index": index, "code": answer.status, **answer.body}
    deferred.write(connection)
    return results


def _one(connection, who, index, event, apply, ctx) -> dict:
    for attempt in range(2):
        try:
            with connection.begin_nested():
                answer = apply(connection, who, event, ctx, None)
            return {"index": index, "code": answer.status, **answer.body}
        except Refused as refused:
            return _refused(index, refused)
        except sa.exc.IntegrityError:
            # The same session, attempt or call created meanwhile by another request
            # (PostgreSQL): its savepoint is gone; the second try finds it.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _lock_order(item: tuple[int, dict]) -> tuple:
    event = item[1]
    lead = event.get("lead") or {}
    own_id = event.get("event_id") or event.get("call_id") or ""
    return (
        str(lead.get("id", "")),
        lead.get("external_id") or "",
        lead.get("source") or "",
        lead.get("phone") or "",
        own_id,
    )


def _refused(index: int, refused: Refused) -> dict:
    return {"index": index, "code": refused.status, **refused.body()}


def _leads(connection, who: Caller, leads: list[dict], ctx: Context, new_leads: list) -> list:
    """All the array's leads in one registration (one lock of their identities, one look for
    duplicates, one insert of leads, mails and audit rows); each answered as alone."""
    if not leads:
        return []
    event_ids = "\x1e".join(f"{lead['source']}:{lead['external_id']}" for lead in leads)
    digest = hashlib.sha256(event_ids.encode()).hexdigest()
    result = endpoints._apply(
        actions.ingest_leads,
        connection,
        leads,
        action_id=actions.event_action_id(who.integration_id, "leads", digest),
        integration_id=who.integration_id,
        now=ctx.now,
    )
    answers = []
    fresh = []
    for lead, outcome in zip(leads, result.details["results"], strict=True):
        duplicate = outcome["duplicate"] or result.replayed
        matched_on = outcome["matched_on"] if duplicate else None
        if duplicate and matched_on is None:
            matched_on = "external_id"
        if not duplicate:
            fresh.append((lead, outcome["lead_id"]))
        answers.append(
            {
                "code": 200 if duplicate else 201,
                "status": "duplicate" if duplicate else "applied",
                "lead_id": outcome["lead_id"],
                "duplicate": duplicate,
                "matched_on": matched_on,
                "external_id": lead["external_id"],
            }
        )
    if fresh and endpoints.has_waiting(connection, [lead for lead, _ in fresh]):
        new_leads.extend(lead_id for _, lead_id in fresh)
    return answers
