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
    state = {am_id: state.get(am_id, (0, None)) for am_id in {*state, *weights}}
    in_epoch = {am_id for am_id, (_, received) in state.items() if received is not None}
    if in_epoch != set(weights):
        state = {
            am_id: (credit, 0 if am_id in weights else None) for am_id, (credit, _) in state.items()
        }
    picks = sum(state[am_id][1] for am_id in weights)

    def window(am_id: int) -> tuple[int, int]:
        k, weight = state[am_id][1] + 1, weights[am_id]
        return (k - 1) * total // weight, -(-k * total // weight)

    credit = {am_id: credit + weights.get(am_id, 0) for am_id, (credit, _) in state.items()}
    open_now = [am_id for am_id in sorted(weights) if window(am_id)[0] <= picks]
    chosen = min(open_now, key=lambda am_id: (window(am_id)[1], -credit[am_id], am_id))
    credit[chosen] -= total
    after = {
        am_id: (credit[am_id], None if received is None else received + (am_id == chosen))
        for am_id, (_, received) in state.items()
    }
    return chosen, after
