"""Claims of action ids: each applied once, its result kept for a replay; and ``Deferred``,
the claims and audit of an array of the ingest API's events written together."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from crm.actions.checks import to_utc
from crm.actions.inserts import insert_many
from crm.actions.results import ActionRefused, ActionResult
from crm.actions.tables import APPLIED, AUDIT

# Every action runs these two: built once (an event of the ingest API is a dozen statements,
# and building and keying each anew cost as much as running it).
_CLAIM = {
    name: dialect.insert(APPLIED)
    .on_conflict_do_nothing(index_elements=[APPLIED.c.action_id])
    .returning(APPLIED.c.action_id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_RESULT = APPLIED.update().where(APPLIED.c.action_id == sa.bindparam("claimed_id"))


def claim(
    connection: sa.Connection,
    action_id: str,
    action: str,
    *,
    actor_id: int | None,
    integration_id: int | None,
    now: datetime,
) -> bool:
    """Claim ``action_id`` for ``action``; False when it is taken already (``replay`` it)."""
    return (
        connection.execute(
            _CLAIM[connection.dialect.name],
            {
                "action_id": action_id,
                "actor_id": actor_id,
                "integration_id": integration_id,
                "action": action,
                "applied_at": now,
                "lead_count": 0,
                "result": None,
            },
        ).first()
        is not None
    )


def release(connection: sa.Connection, action_id: str) -> None:
    """Give the claim up: the action had nothing to apply, so the CRM stays as it was."""
    connection.execute(APPLIED.delete().where(APPLIED.c.action_id == action_id))


def store_result(connection: sa.Connection, stored: dict) -> None:
    """Write a claimed action's result and lead count (``stored["claimed_id"]`` names it)."""
    connection.execute(_RESULT, stored)


def replay(connection: sa.Connection, action_id: str, action: str) -> ActionResult:
    """The stored result of ``action_id``, applied before; refused if another action took it."""
    row = connection.execute(
        sa.select(APPLIED.c.action, APPLIED.c.result).where(APPLIED.c.action_id == action_id)
    ).one()
    if row.action != action:
        raise ActionRefused(
            f"action id {action_id} was already used for {row.action!r}, not {action!r}: "
            "each action needs its own id (crm.actions.new_action_id)."
        )
    return ActionResult.from_stored(action_id, action, row.result)


class Deferred:
    """Several actions of the system in one transaction, their statements shared: the action
    ids claimed at once first (``claim``), each one's audit rows and stored result written for
    all of them at the end (``write``), three statements instead of three an action. An array
    of the ingest API's events is applied so: a dozen round trips an event were most of its
    time.

    Only for a caller that rolls the whole transaction back when one of its actions fails: an
    action refused midway has no savepoint of its own to undo what it wrote before.
    """

    def __init__(self):
        self.audit: list[dict] = []
        self.results: dict[str, dict] = {}  # action id → its claim's stored result
        self._actions: dict[str, str] = {}  # action id → action
        self._claimed: dict[str, str] = {}  # claimed by ``claim``, not yet run: id → action
        self.shared: dict = {}  # ``Action.shared`` of each of these actions

    def claim(
        self,
        connection: sa.Connection,
        action: str,
        action_ids: Iterable[str],
        *,
        integration_id: int | None,
        now: datetime,
    ) -> None:
        """Claim the ids of actions about to run, in one statement and in id order: two
        transactions claiming some of the same ids wait for each other, never in a circle,
        and hold no lead yet. An id taken already is left to its action, which replays it."""
        now = to_utc(now)
        rows = [
            {
                "action_id": action_id,
                "actor_id": None,
                "integration_id": integration_id,
                "action": action,
                "applied_at": now,
                "lead_count": 0,
                "result": None,
            }
            for action_id in sorted(set(action_ids))
        ]
        if rows:
            claimed = connection.execute(_CLAIM[connection.dialect.name], rows).scalars()
            self._claimed.update(dict.fromkeys(claimed, action))

    def take(self, action_id: str, action: str) -> bool:
        """Whether ``claim`` claimed this id for this action (once: a second run of the same
        id claims it as usual, and finds it taken)."""
        return self._claimed.get(action_id) == action and self._claimed.pop(action_id) == action

    def keep(self, action: str, audit: list[dict], stored: dict) -> None:
        self.audit.extend(audit)
        self.results[stored["claimed_id"]] = stored
        self._actions[stored["claimed_id"]] = action

    def replay(self, action_id: str, action: str) -> ActionResult:
        if self._actions[action_id] != action:
            raise ActionRefused(
                f"action id {action_id} was already used for {self._actions[action_id]!r}, "
                f"not {action!r}: each action needs its own id (crm.actions.new_action_id)."
            )
        # As stored: through JSON, like a replay read back from the CRM.
        stored = json.loads(json.dumps(self.results[action_id]["result"]))
        return ActionResult.from_stored(action_id, action, stored)

    def write(self, connection: sa.Connection) -> None:
        """Write what was kept, in the actions' transaction, before it commits."""
        insert_many(connection, AUDIT, self.audit)
        if self.results:
            connection.execute(_RESULT, list(self.results.values()))
        self.audit, self.results, self._actions = [], {}, {}
