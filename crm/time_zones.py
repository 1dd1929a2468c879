"""The time zone names Starboard takes: the IANA zones of the zone database, by name.

``zoneinfo.ZoneInfo`` opens any file of the zone database it is named, which is more than the
zones: a folder ("America") fails with an OSError, and ``localtime`` is this machine's own zone,
which DuckDB does not know. A lead's zone is checked here where it enters the CRM; the
warehouse checks it again (staging keeps only the zones DuckDB knows).
"""

from __future__ import annotations

import os
import zoneinfo
from functools import cache

from crm.errors import UserError

# Names in the zone database that are not a place's zone: the machine's own zone, the template
# of POSIX rules, and the zone of no place.
NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - NOT_ZONES


def is_time_zone(name: object) -> bool:
    """Whether ``name`` is the name of an IANA time zone, like ``Europe/London`` or ``UTC``."""
    return isinstance(name, str) and name in _zones()


def find_zone(name: object) -> zoneinfo.ZoneInfo | None:
    """The zone called ``name``; None when there is none."""
    return zoneinfo.ZoneInfo(name) if is_time_zone(name) else None


FLOOR_ZONE_VARIABLE = "STARBOARD_TIME_ZONE"


def floor_zone_name() -> str:
    """The sales floor's time zone (``STARBOARD_TIME_ZONE``, an IANA name, default UTC): its
    midnight ends a reporting day. The ETL builds the marts' days in it and the pages cut
    "today" in it, so both read it here; a name that is not a zone is a one-line error."""
    name = os.environ.get(FLOOR_ZONE_VARIABLE, "").strip() or "UTC"
    if not is_time_zone(name):
        raise UserError(
            f"{FLOOR_ZONE_VARIABLE} {name!r} is not a time zone: set an IANA name like "
            "Europe/London or Asia/Nicosia."
        )
    return name


def floor_zone() -> zoneinfo.ZoneInfo:
    """``floor_zone_name()`` as a zone."""
    return zoneinfo.ZoneInfo(floor_zone_name())
