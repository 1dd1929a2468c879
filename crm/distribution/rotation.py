"""Smooth weighted round robin (the rotation nginx uses for weighted upstreams).

Each pick adds every available member's weight to their credit, gives the lead to the highest
credit (ties to the lower AM id), and takes the available weights' total from the winner. Over
any run of picks from one set of available members each receives within one lead of their share
(weight / total), and equal weights take strict turns. A member off shift or at cap keeps their
credit untouched until they are back, so coming back neither jumps the queue nor loses a turn.
"""

from __future__ import annotations

from collections.abc import Mapping


def pick(credits: Mapping[int, int], weights: Mapping[int, int]) -> tuple[int, dict[int, int]]:
    """The AM who receives the next lead among ``weights`` (the available members and their
    weights) and the credits after it; ``credits`` holds at least those members."""
    if not weights:
        raise ValueError("no member available to pick")
    total = sum(weights.values())
    after = dict(credits)
    for am_id, weight in weights.items():
        after[am_id] = after.get(am_id, 0) + weight
    chosen = max(sorted(weights), key=lambda am_id: after[am_id])
    after[chosen] -= total
    return chosen, after
