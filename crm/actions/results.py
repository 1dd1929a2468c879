"""What an action answers: its result, or why it was refused (having written nothing)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from crm.errors import UserError


class ActionRefused(UserError):
    """An action that was not applied, and why, in one line; nothing was written."""


class LeadChanged(ActionRefused):
    """The lead is no longer the version the person saw: someone else changed it meanwhile."""

    def __init__(self, lead_id: int, seen: int, current: int, by: str | None = None):
        self.lead_id, self.seen, self.current = lead_id, seen, current
        who = f" by {by}" if by else ""
        super().__init__(
            f"lead {lead_id} was changed{who} since you saw it (version {seen}, now {current}): "
            "nothing was saved; look at it again and redo your change if it still applies."
        )


@dataclass(frozen=True)
class ActionResult:
    """What an action did: its message, and each lead's new version for the page to keep."""

    action_id: str
    action: str
    message: str
    versions: dict[int, int] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False  # True when this action id had been applied before: nothing written

    def stored(self) -> dict:
        return {
            "message": self.message,
            "versions": {str(lead_id): v for lead_id, v in self.versions.items()},
            "details": self.details,
        }

    @classmethod
    def from_stored(cls, action_id: str, action: str, stored: dict) -> ActionResult:
        return cls(
            action_id=action_id,
            action=action,
            message=stored["message"],
            versions={int(lead_id): v for lead_id, v in stored["versions"].items()},
            details=stored["details"],
            replayed=True,
        )


def new_action_id() -> str:
    """A fresh action id: the page makes one per form and keeps it in session state, so that a
    rerun or a second click sends the same id again."""
    return uuid.uuid4().hex
