"""Settings of the sales floor kept in the CRM's ``crm_settings`` table.

``calling_hours``: the local hours of the lead's own day in which an AM may call, written
``HH:MM-HH:MM`` (start included, end excluded). Pages show whether a lead is inside them now;
end of shift stars the leads whose contact falls inside them tomorrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

import sqlalchemy as sa

from crm.errors import UserError
from crm.models import CrmSetting

CALLING_HOURS = "calling_hours"


@dataclass(frozen=True)
class CallingHours:
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> CallingHours:
        """``"09:00-20:00"`` → CallingHours; a one-line UserError for anything else."""
        try:
            first, last = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError:
            raise UserError(
                f"calling hours {text!r} are not HH:MM-HH:MM: write them like 09:00-20:00"
            ) from None
        if first >= last:
            raise UserError(
                f"calling hours {text!r} end before they start: write them like 09:00-20:00"
            )
        return cls(first, last)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, local: time) -> bool:
        """Whether a wall-clock time of the lead's own day is inside the calling hours."""
        return self.start <= local.replace(tzinfo=None) < self.end

    @property
    def start_minute(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self) -> int:
        return self.end.hour * 60 + self.end.minute


DEFAULT_CALLING_HOURS = CallingHours(time(9, 0), time(20, 0))


def calling_hours(connection: sa.Connection) -> CallingHours:
    """The CRM's calling hours, or the default 09:00-20:00 when none are set."""
    text = connection.execute(
        sa.select(CrmSetting.value).where(CrmSetting.key == CALLING_HOURS)
    ).scalar_one_or_none()
    return CallingHours.parse(text) if text else DEFAULT_CALLING_HOURS
