"""The notice of a session signed out for idleness names the limit as set, also a fractional
one ("after 0 minutes" was shown for STARBOARD_IDLE_MINUTES=0.5; issue 26)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.viewer import ACTIVITY_KEY, idle_words
from tests.pages.conftest import APP_TIMEOUT_S, MIA, REPO_ROOT, crm_url_of, signed_in


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (60, "60 minutes"),
        (1, "1 minute"),
        (1.5, "1.5 minutes"),
        (0.5, "30 seconds"),
        (1 / 60, "1 second"),
        (0.01, "0.6 seconds"),
    ],
)
def test_the_idle_limit_in_words(minutes, words):
    assert idle_words(timedelta(minutes=minutes)) == words


def test_a_fractional_limit_is_named_in_the_notice(small_warehouse, monkeypatch):
    monkeypatch.setenv("CRM_DATABASE_URL", crm_url_of(small_warehouse))
    monkeypatch.setenv("WAREHOUSE_PATH", str(small_warehouse))
    monkeypatch.setenv("STARBOARD_IDLE_MINUTES", "0.5")
    at = signed_in(
        AppTest.from_file(str(REPO_ROOT / "dashboard_app.py"), default_timeout=APP_TIMEOUT_S), MIA
    )
    at.session_state[ACTIVITY_KEY] = time.time() - 31
    at.run()
    assert [info.value for info in at.info] == [
        "You were signed out after 30 seconds without a click: sign in again."
    ]


@pytest.mark.parametrize("setting", ["inf", "nan", "1e300", "20000"])
def test_a_limit_that_is_no_time_is_one_line(small_warehouse, monkeypatch, setting):
    monkeypatch.setenv("CRM_DATABASE_URL", crm_url_of(small_warehouse))
    monkeypatch.setenv("WAREHOUSE_PATH", str(small_warehouse))
    monkeypatch.setenv("STARBOARD_IDLE_MINUTES", setting)
    at = signed_in(
        AppTest.from_file(str(REPO_ROOT / "dashboard_app.py"), default_timeout=APP_TIMEOUT_S), MIA
    )
    at.run()
    assert not at.exception, at.exception
    assert [error.value for error in at.error] == [
        f"STARBOARD_IDLE_MINUTES {setting!r} is not a number of minutes above 0 and up to "
        "10,080 (a week): set it like 60."
    ]
