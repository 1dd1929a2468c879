"""One of the processes of tests/crm/test_distribution_concurrency.py, run as
``python -m tests.crm.distribution_worker URL NUMBER FOLDER EACH``: it connects, says it is
ready (FOLDER/ready-NUMBER), waits for FOLDER/go, then registers EACH leads one by one.

A process of its own started with the interpreter (not multiprocessing's spawn, which re-imports
the parent's main module: under pytest-xdist that is execnet's, and the child dies at start)."""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(url: str, number: int, folder: Path, each: int) -> None:
    from crm import actions
    from crm.db import create_crm_engine
    from tests.crm.distribution_floor import NOW, person

    engine = create_crm_engine(url)
    with engine.connect():
        pass  # connected before the start, so the start is as close to at once as it gets
    (folder / f"ready-{number}").touch()
    deadline = time.monotonic() + 120
    while not (folder / "go").exists():
        if time.monotonic() > deadline:
            sys.exit("error: no start signal within 120 s")
        time.sleep(0.005)
    for n in range(each):
        actions.register_leads(
            engine,
            [person(number * 1000 + n)],
            action_id=f"p{number}-{n}",
            actor_id=None,
            now=NOW,
        )
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
