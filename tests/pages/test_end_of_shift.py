"""End of shift keeps missed work (issue 22, item 5), on the star board with the hand-built CRM
(tests/etl/small_crm.py). Ben Hall (lead 2, Bea's, Conversion A, London) is starred with a
callback at 18:00 UTC on Tue 10 March; his calls (no answer, busy) were before it. At 19:00 UTC
nobody has called him since: his callback was missed, and end of shift carries it over."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from crm.db import create_crm_engine
from tests.pages.conftest import captions
from tests.pages.test_actions import MIA, lead, submit, toasts

STAR_BOARD = "pages/star_board.py"
EVENING = "2026-03-10T19:00:00+00:00"


@pytest.fixture
def crm(writable_crm) -> Iterator[sa.Engine]:
    engine = create_crm_engine(writable_crm.url)
    yield engine
    engine.dispose()


def test_a_missed_callback_is_carried_over_per_am(open_page, writable_crm, crm):
    at = open_page(STAR_BOARD, writable_crm.warehouse, staff_id=MIA, now=EVENING)
    at.button(key="star.shift.preview").click().run()
    assert not at.exception
    assert (
        "End of shift of Tue 10 Mar for the whole floor, calling hours 09:00-20:00: 0 leads to "
        "unstar, 0 leads to star, 1 missed callback carried over, 0 leads skipped." in captions(at)
    )
    per_am, carried = (table.value for table in at.dataframe[1:3])
    assert per_am.values.tolist() == [["Bea Brook", 0, 0, 1]]
    assert carried["lead_name"].tolist() == ["Ben Hall"]
    assert "Missed callbacks carried over: 1" in [md.value for md in at.markdown]

    submit(at, "star.shift").click().run()
    assert not at.error
    assert toasts(at) == [
        "end of shift: 0 leads unstarred, 0 leads starred, 1 missed callback carried over."
    ]
    # Ben stays on Bea's list, starred again by Mia.
    assert (lead(crm, 2)["is_starred"], lead(crm, 2)["starred_by_id"]) == (1, MIA)
    assert lead(crm, 2)["version"] == 2


def test_end_of_shift_for_one_team(open_page, writable_crm):
    at = open_page(STAR_BOARD, writable_crm.warehouse, staff_id=MIA, now=EVENING)
    at.selectbox(key="star.team").select("Retention B").run()
    assert "**End of shift for team Retention B**" in [md.value for md in at.markdown]
    at.button(key="star.shift.preview").click().run()
    # Ben is Conversion A's: not in Retention B's end of shift.
    assert (
        "End of shift of Tue 10 Mar for team Retention B, calling hours 09:00-20:00: 0 leads to "
        "unstar, 0 leads to star, 0 missed callbacks carried over, 0 leads skipped." in captions(at)
    )
