"""The distribution's optional runs (issue 25, item 4): a lead or sales manager switches them
for the rule set (``set_runs``); ``run_occasions`` runs the rules for leads whose login or
declined deposit was recorded outside an ingest action (the simulator's tick)."""

from __future__ import annotations

from collections.abc import Mapping

from crm.actions.checks import whole
from crm.actions.core import Action, run_action
from crm.actions.results import ActionRefused, ActionResult
from crm.actions.settings import write_setting
from crm.distribution import occasions


def set_runs(
    target,
    *,
    actor_id: int | None,
    action_id: str,
    returning: bool,
    returning_days: int,
    failed_deposits: bool,
    now=None,
) -> ActionResult:
    """Switch the optional runs for the whole rule set: an unowned lead logging in after
    ``returning_days`` or more days away, an unowned lead's declined deposit (see
    ``crm.distribution.occasions`` for why not per rule)."""
    days = whole(returning_days, "the days away")
    if not 1 <= days <= occasions.MAX_RETURNING_DAYS:
        raise ActionRefused(
            f"{days} days away is not 1 to {occasions.MAX_RETURNING_DAYS:,}: e.g. 14."
        )
    wanted = occasions.Runs(bool(returning), days, bool(failed_deposits))

    def work(action: Action) -> str:
        stored = occasions.stored_settings(action.connection)
        changed = {
            key: value
            for key, value in occasions.settings_of(wanted).items()
            if stored.get(key) != value
        }
        if not changed:
            action.unchanged = True
            return f"already so: {wanted.text()}."
        for key, value in changed.items():
            write_setting(action, key, value)
        return f"the rules also run for: {wanted.text()}."

    return run_action(
        target, "distribution_runs", work, action_id=action_id, actor_id=actor_id, now=now
    )


def run_occasions(
    target,
    found: Mapping[int, str],
    *,
    action_id: str,
    actor_id: int | None = None,
    now=None,
) -> ActionResult:
    """Distribute these unowned leads now, each for its occasion (``{lead id: why}``, from
    ``crm.distribution.occasions``): for a caller that records logins and deposits itself
    (the simulator, inside its tick's transaction)."""

    def work(action: Action) -> str:
        decisions = occasions.distribute_occasions(action, found)
        assigned = sum(d.am_id is not None for d in decisions)
        action.details.update(assigned=assigned, waiting=len(decisions) - assigned)
        if not decisions:
            action.unchanged = True
        return f"{assigned:,} leads assigned; {len(decisions) - assigned:,} waiting."

    return run_action(target, "distribute", work, action_id=action_id, actor_id=actor_id, now=now)
