"""Weighted round robin that stays within one lead of every AM's share (Pfair-style windows).

While one set of AMs is available (an *epoch*), AM i's k-th lead of the epoch is due in the
window of picks [floor((k-1)·W/w_i), ceil(k·W/w_i)), W being the available weights' total; each
pick gives the lead to the AM whose window is open and ends first. On one "processor" (one
lead at a time) with the shares adding up to one this meets every window, so after every pick
each AM's count is strictly within one lead of their share (weight / total) of the epoch's
leads, and equal weights take strict turns. (Smooth weighted round robin, nginx's, does not:
it can drift a little past one lead.)

When someone comes on shift, goes off, or reaches a cap, a new epoch starts. Ties (equal
weights at the start of an epoch) go to the AM owed most over the long run: a credit that
gains the AM's weight at every pick they were available for and loses the total when they
receive, so a new epoch neither repeats nor skips anybody's turn.

State per pool member: (credit, leads received this epoch, or None when not in the epoch).
"""

from __future__ import annotations

from collections.abc import Mapping

Turn = tuple[int, int | None]


def pick(state: Mapping[int, Turn], weights: Mapping[int, int]) -> tuple[int, dict[int, Turn]]:
    """The AM who receives the next lead among ``weights`` (the available members and their
    weights), and the state after it."""
    if not weights:
        raise ValueError("no member available to pick")
    total = sum(weights.values())
    # Written as one pass per step over the pool (it runs at every lead of a replay).
    new_epoch = any(state.get(am_id, (0, None))[1] is None for am_id in weights) or any(
        received is not None and am_id not in weights for am_id, (_, received) in state.items()
    )
    received = {
        am_id: 0 if new_epoch else state[am_id][1]  # type: ignore[misc]
        for am_id in weights
    }
    picks = sum(received.values())
    chosen, best = None, None
    for am_id in sorted(weights):
        k, weight = received[am_id] + 1, weights[am_id]
        if (k - 1) * total // weight > picks:  # the window is not open yet
            continue
        rank = (-(-k * total // weight), -(state.get(am_id, (0, None))[0] + weight), am_id)
        if best is None or rank < best:
            chosen, best = am_id, rank
    if chosen is None:  # the windows' theorem says this cannot happen
        raise ValueError("no member's window is open")
    after: dict[int, Turn] = {}
    for am_id in state.keys() | weights.keys():
        credit = state.get(am_id, (0, None))[0]
        credit += weights.get(am_id, 0) - (total if am_id == chosen else 0)
        # Out of the epoch (None) whoever is not available now.
        after[am_id] = (credit, received[am_id] + (am_id == chosen) if am_id in weights else None)
    return chosen, after
