"""Leads from the brokerage's website, affiliates and files: registered once each.

A lead that is already in the CRM is a duplicate and writes nothing: the same external id from
the same source, always; the same email or phone as any lead, by the source's rule
(``crm_settings`` key ``lead_duplicates:<source>``, else ``lead_duplicates``: ``email,phone``
(the default), ``email``, ``phone`` or ``none``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import sqlalchemy as sa

from crm.actions.checks import BULK_LIMIT
from crm.actions.core import Action, run_action
from crm.actions.registration import insert_leads
from crm.actions.results import ActionRefused, ActionResult
from crm.actions.tables import LEADS
from crm.models import CrmSetting

SETTINGS = CrmSetting.__table__
DUPLICATE_RULE = "lead_duplicates"
DEFAULT_RULE = ("email", "phone")
RULE_WORDS = {
    "email": ("email",),
    "phone": ("phone",),
    "email,phone": ("email", "phone"),
    "phone,email": ("email", "phone"),
    "none": (),
}
LEAD_COLUMNS = (
    "external_id",
    "source",
    "affiliate",
    "campaign",
    "first_name",
    "last_name",
    "email",
    "phone",
    "country",
    "time_zone",
    "language",
    "currency",
    "registered_at",
)


def ingest_leads(
    target: sa.Engine | sa.Connection,
    people: Sequence[Mapping],
    *,
    action_id: str,
    actor_id: int | None = None,
    integration_id: int | None = None,
    now: datetime | None = None,
) -> ActionResult:
    """Register the leads among ``people`` (clean, from ``crm.ingest.validation.clean_lead``)
    that are not duplicates, each with its welcome mail.

    ``details["results"]``: per person, in order, ``{"lead_id", "duplicate", "matched_on"}``
    (``matched_on`` names what made it a duplicate: external_id, email or phone).
    """
    if not people:
        raise ActionRefused("no lead to register.")
    if len(people) > BULK_LIMIT:
        raise ActionRefused(f"{len(people):,} leads at once, more than {BULK_LIMIT:,}.")

    def work(action: Action) -> str:
        connection = action.connection
        _lock_identities(connection, people)
        existing = _existing(connection, people)
        results: list[dict] = []
        new: list[dict] = []
        batch: dict[tuple, int] = {}  # identity → index in ``new``, for repeats in one batch
        for person in people:
            rule = existing.rules.get(person["source"], DEFAULT_RULE)
            keys = [("external_id", (person["external_id"], person["source"]))]
            keys += [(name, person[name]) for name in rule]
            match = next(
                (
                    (name, existing.ids[name][value])
                    for name, value in keys
                    if value in existing.ids[name]
                ),
                None,
            )
            if match is None:
                repeat = next(
                    ((name, batch[(name, v)]) for name, v in keys if (name, v) in batch), None
                )
                if repeat is not None:
                    results.append(
                        {"new_index": repeat[1], "duplicate": True, "matched_on": repeat[0]}
                    )
                    continue
                for key in keys:
                    batch[key] = len(new)
                results.append({"new_index": len(new), "duplicate": False, "matched_on": None})
                new.append({name: person.get(name) for name in LEAD_COLUMNS if name in person})
            else:
                results.append({"lead_id": match[1], "duplicate": True, "matched_on": match[0]})
        lead_ids = insert_leads(action, new) if new else []
        action.unchanged = not new
        for result in results:
            if "new_index" in result:
                result["lead_id"] = lead_ids[result.pop("new_index")]
        action.details["results"] = results
        duplicates = sum(result["duplicate"] for result in results)
        return (
            f"{len(lead_ids):,} lead{'' if len(lead_ids) == 1 else 's'} registered, "
            f"{duplicates:,} duplicate{'' if duplicates == 1 else 's'}; welcome mail queued."
        )

    return run_action(
        target,
        "ingest_leads",
        work,
        action_id=action_id,
        actor_id=actor_id,
        integration_id=integration_id,
        now=now,
    )


class _Existing:
    def __init__(self):
        self.ids: dict[str, dict] = {"external_id": {}, "email": {}, "phone": {}}
        self.rules: dict[str, tuple[str, ...]] = {}


def _existing(connection: sa.Connection, people: Sequence[Mapping]) -> _Existing:
    """The leads already registered under the people's external ids, emails and phones."""
    found = _Existing()
    sources = sorted({person["source"] for person in people})
    found.rules = _rules(connection, sources)
    external = sorted({person["external_id"] for person in people})
    for row in connection.execute(
        sa.select(LEADS.c.id, LEADS.c.external_id, LEADS.c.source).where(
            LEADS.c.external_id.in_(external)
        )
    ):
        found.ids["external_id"][(row.external_id, row.source)] = row.id
    for name in ("email", "phone"):
        wanted = sorted({p[name] for p in people if name in found.rules.get(p["source"], ())})
        if wanted:
            column = LEADS.c[name]
            for lead_id, value in connection.execute(
                sa.select(LEADS.c.id, column).where(column.in_(wanted)).order_by(LEADS.c.id)
            ):
                found.ids[name].setdefault(value, lead_id)
    return found


def _rules(connection: sa.Connection, sources: list[str]) -> dict[str, tuple[str, ...]]:
    keys = [DUPLICATE_RULE, *(f"{DUPLICATE_RULE}:{source}" for source in sources)]
    stored = dict(
        connection.execute(
            sa.select(SETTINGS.c.key, SETTINGS.c.value).where(SETTINGS.c.key.in_(keys))
        ).all()
    )
    default = RULE_WORDS.get(stored.get(DUPLICATE_RULE, "").replace(" ", ""), DEFAULT_RULE)
    return {
        source: RULE_WORDS.get(
            stored.get(f"{DUPLICATE_RULE}:{source}", "").replace(" ", ""), default
        )
        for source in sources
    }


# Registrations lock the identities they register (external id, email, phone) until they
# commit, so that two of one identity at once wait for each other. The locks are buckets of
# identities: an import of 100,000 leads in one transaction would otherwise hold 300,000
# advisory locks, far past PostgreSQL's lock table (max_locks_per_transaction × connections,
# 6,400 by default). Two identities sharing a bucket only wait for each other, needlessly.
IDENTITY_LOCK_SPACE = 24  # the advisory lock class of lead identities (issue 24)
IDENTITY_BUCKETS = 1_024


def _lock_identities(connection: sa.Connection, people: Sequence[Mapping]) -> None:
    """On PostgreSQL, two registrations of one email or phone at once wait for each other, so
    the second sees the first as its duplicate (SQLite's writers queue anyway)."""
    if connection.dialect.name != "postgresql":
        return
    keys = sorted(
        {f"lead:{person[name]}" for person in people for name in ("email", "phone")}
        | {f"lead:{person['source']}:{person['external_id']}" for person in people}
    )
    # In bucket order, so that two registrations never wait for each other in a circle.
    connection.execute(
        sa.text(
            "SELECT pg_advisory_xact_lock(:space, b) FROM (SELECT DISTINCT "
            "cast(abs(hashtextextended(k, 0) % :buckets) AS integer) AS b "
            "FROM unnest(cast(:keys AS text[])) AS k) AS buckets ORDER BY b"
        ),
        {"keys": keys, "space": IDENTITY_LOCK_SPACE, "buckets": IDENTITY_BUCKETS},
    )
