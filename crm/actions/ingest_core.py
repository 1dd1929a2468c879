"""What every action on data from outside shares: its action id (one per event), finding the
lead an event is about, and the inbox that keeps an event until its lead arrives.

An event's action id is derived from who sent it and its own id, so the same event sent twice,
or by eight clients at once, claims the same ``applied_actions`` row and is applied once.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from crm.actions.claims import Deferred
from crm.actions.core import Action
from crm.actions.results import ActionRefused
from crm.actions.state import jsonable
from crm.actions.tables import LEADS
from crm.models import InboxEvent

INBOX = InboxEvent.__table__
# Clean events hold these as Python values; the inbox keeps them as JSON text.
TIME_FIELDS = ("occurred_at", "started_at", "registered_at")
MONEY_FIELDS = ("amount", "balance")


class FieldRefused(ActionRefused):
    """Refused because of one field of the event (an unknown agent, a currency that is not the
    account's): the API answers 422 naming the field."""

    def __init__(self, field: str, reason: str):
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


def event_action_id(sender: str | int | None, kind: str, event_id: str, attempt: str = "") -> str:
    """The action id of one event: the same sender, kind and event id give the same id."""
    key = f"{sender}\x1f{kind}\x1f{event_id}\x1f{attempt}"
    return f"ingest-{kind}-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def find_lead(action: Action, ref: dict, *columns: sa.Column) -> sa.Row | None:
    """The lead ``ref`` names (``{"id"}``, ``{"external_id", "source"}`` or ``{"phone"}``), locked
    for the change; None when there is none yet. A reference that fits several leads is refused,
    except a phone, which takes the most recently registered of them."""
    if "id" in ref:
        by, values = "id", {"ref_id": ref["id"]}
    elif "external_id" in ref:
        by, values = "external_id", {"ref_external_id": ref["external_id"]}
        if ref.get("source"):
            by, values["ref_source"] = "external_id_source", ref["source"]
    else:
        by, values = "phone", {"ref_phone": ref["phone"]}
    ahead = action.shared.get(AHEAD)
    rows = ahead.take(ref) if ahead is not None else None
    if rows is None:
        rows = action.connection.execute(_lead_query(by, columns), values).all()
    if len(rows) > 1 and "external_id" in ref:
        raise FieldRefused(
            "lead_source", "is needed: several sources have a lead with this external id"
        )
    return rows[0] if rows else None


@functools.cache
def _lead_query(by: str, columns: tuple[sa.Column, ...]) -> sa.Select:
    """The locked read of ``find_lead``, built once per way of naming the lead and columns."""
    query = sa.select(LEADS.c.id, LEADS.c.am_id, LEADS.c.version, *columns)
    if by == "id":
        query = query.where(LEADS.c.id == sa.bindparam("ref_id"))
    elif by.startswith("external_id"):
        query = query.where(LEADS.c.external_id == sa.bindparam("ref_external_id"))
        if by == "external_id_source":
            query = query.where(LEADS.c.source == sa.bindparam("ref_source"))
    else:
        query = query.where(LEADS.c.phone == sa.bindparam("ref_phone")).order_by(
            LEADS.c.registered_at.desc(), LEADS.c.id.desc()
        )
    return query.limit(2).with_for_update()


AHEAD = "leads_ahead"  # the key of ``LeadsAhead`` in ``Action.shared``


class LeadsAhead:
    """The leads the events of an array name (by id or external id), locked and read at once
    in id order, for their actions' ``find_lead``: one statement instead of one an event, and
    two arrays of the same leads lock them in the same order.

    Each lead is handed out once: its action may change it, so the next event about it reads
    it again (locked already). A reference that found no lead is looked for again too: the lead
    may have been registered since.
    """

    def __init__(self, connection: sa.Connection, refs: list[dict]):
        ids = sorted({ref["id"] for ref in refs if "id" in ref})
        externals = sorted({ref["external_id"] for ref in refs if "external_id" in ref})
        self._by_id: dict[int, sa.Row] = {}
        self._by_external: dict[str, list[sa.Row]] = {}
        self._handed: set[int] = set()
        if not ids and not externals:
            return
        found = connection.execute(
            sa.select(LEADS)
            .where(sa.or_(LEADS.c.id.in_(ids), LEADS.c.external_id.in_(externals)))
            .order_by(LEADS.c.id)
            .with_for_update()
        )
        for row in found:
            self._by_id[row.id] = row
            self._by_external.setdefault(row.external_id, []).append(row)

    def take(self, ref: dict) -> list[sa.Row] | None:
        """The (up to two) leads ``ref`` names, as ``find_lead``'s query would find them; None
        when it must ask the database."""
        if "id" in ref:
            rows = [self._by_id[ref["id"]]] if ref["id"] in self._by_id else []
        elif "external_id" in ref:
            rows = [
                row
                for row in self._by_external.get(ref["external_id"], [])
                if not ref.get("source") or row.source == ref["source"]
            ][:2]
        else:
            return None
        if not rows or any(row.id in self._handed for row in rows):
            return None
        self._handed.update(row.id for row in rows)
        return rows


def lock_leads_ahead(connection: sa.Connection, deferred: Deferred, refs: list[dict]) -> None:
    """Lock and read the leads ``refs`` name for the actions sharing ``deferred``
    (``LeadsAhead``)."""
    deferred.shared[AHEAD] = LeadsAhead(connection, refs)


def update_row(connection: sa.Connection, table: sa.Table, row_id: int, values: dict) -> None:
    """Write ``values`` to the row ``row_id`` of ``table``."""
    statement = _update_by_id(table, tuple(sorted(values)))
    connection.execute(statement, {"row_id": row_id, **{f"v_{k}": v for k, v in values.items()}})


@functools.cache
def _update_by_id(table: sa.Table, columns: tuple[str, ...]) -> sa.Update:
    """Built once per table and columns: an event's updates come in a few shapes, run again
    and again, and building and keying a statement cost about as much as running it."""
    return (
        table.update()
        .where(table.c.id == sa.bindparam("row_id"))
        .values({name: sa.bindparam(f"v_{name}", type_=table.c[name].type) for name in columns})
    )


def lead_reference_text(ref: dict) -> str:
    if "id" in ref:
        return f"lead {ref['id']}"
    if "external_id" in ref:
        source = f" from {ref['source']}" if ref.get("source") else ""
        return f"the lead with external id {ref['external_id']}{source}"
    return "the lead with this phone number"


def keep_waiting(action: Action, kind: str, event: dict, event_id: str, reason: str) -> int:
    """Keep ``event`` in the inbox until its lead arrives (once per sender, kind and event id);
    its inbox id."""
    if action.integration_id is None:
        raise ActionRefused(f"{reason}: nothing was recorded.")
    ref = event["lead"]
    insert = (postgresql if action.connection.dialect.name == "postgresql" else sqlite).insert
    action.connection.execute(
        insert(INBOX)
        .values(
            integration_id=action.integration_id,
            kind=kind,
            event_id=event_id,
            lead_external_id=ref.get("external_id") if "id" not in ref else None,
            lead_source=ref.get("source"),
            lead_phone=ref.get("phone"),
            payload=jsonable(event),
            reason=reason,
            status="waiting",
            received_at=action.now,
            updated_at=action.now,
        )
        .on_conflict_do_nothing()
    )
    inbox_id = action.connection.scalar(
        sa.select(INBOX.c.id).where(
            INBOX.c.integration_id == action.integration_id,
            INBOX.c.kind == kind,
            INBOX.c.event_id == event_id,
        )
    )
    action.details.update(status="waiting", inbox_id=inbox_id, reason=reason)
    action.audit(None, None, {"inbox_id": inbox_id, "kind": kind, "event_id": event_id})
    return inbox_id


def mark_applied(action: Action, inbox_id: int | None) -> None:
    if inbox_id is not None:
        action.connection.execute(
            INBOX.update()
            .where(INBOX.c.id == inbox_id, INBOX.c.status == "waiting")
            .values(status="applied", resolved_at=action.now, updated_at=action.now)
        )


def from_json(data: dict) -> dict:
    event = dict(data)
    for key in TIME_FIELDS:
        if isinstance(event.get(key), str):
            event[key] = datetime.fromisoformat(event[key])
    for key in MONEY_FIELDS:
        if isinstance(event.get(key), str):
            event[key] = Decimal(event[key])
    return event
