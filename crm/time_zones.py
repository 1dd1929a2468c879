"""The time zone names Starboard takes: the IANA zones of the zone database, by name.

``zoneinfo.ZoneInfo`` opens any file of the zone database it is named, which is more than the
zones: a folder ("America") fails with an OSError, and ``localtime`` is this machine's own zone,
which DuckDB does not know. A lead's zone is checked here where it enters the CRM; the
warehouse checks it again (staging keeps only the zones DuckDB knows).
"""

from __future__ import annotations

import zoneinfo
from functools import cache

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
