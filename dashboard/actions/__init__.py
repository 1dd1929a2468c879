"""The action widgets the pages share, and the only code of the dashboard that calls
``crm.actions``: one module per family, named as the CRM's module that does the writing.

============================  =====================================  ========================
pages                         widgets (``dashboard.actions.*``)      writes (``crm.*``)
============================  =====================================  ========================
all_leads, online_advanced,   ``leads``: assign (and undo), star,    ``actions/leads.py``
last_logged_in, star_board    unstar, note
failed_deposits,              ``deposits``: failed-deposit review,   ``actions/deposits.py``
new_deposits                  upsale, target board
my_leads                      ``calls``: call outcome                ``actions/calls.py``
star_board                    ``shift``: end of shift                ``shift.py`` (plan),
                                                                     ``actions/leads.py``
============================  =====================================  ========================

``common`` holds how a widget acts; ``changes`` the state shown before the ETL catches up.
The CRM reads they need (the active AMs to offer, the leads read back after an action) are in
``crm/reads.py``.

How every widget acts:

- It writes from an ``on_click`` callback, which runs before the page is drawn again, so the
  page that follows already shows the change.
- Its action id lives in session state (``<key>.action_id``) and is bound to the button when
  the button is drawn; it is renewed only after a success. A double click, or a rerun that
  sends the click again, carries the same id, and the CRM answers with the first result
  without writing again.
- The versions it sends are those of the rows the page showed (the selected rows), never
  re-read before the write: a lead someone changed meanwhile is refused (``LeadChanged``).
- Success: a toast with the action's message, and the changed leads' new state (read back
  from the CRM) kept in session state. ``overlay`` lays that state over the rows a page shows
  until a warehouse snapshot holds it, so the page shows the change at once, without waiting
  for the ETL; a row that no longer passes the page's filters (``Filters``, given to
  ``lead_table.show``) leaves the list and its count. The leads anyone else changed since
  the snapshot are read from the CRM the same way (``catch_up``). A refusal: its one line
  under the widget, whose inputs stay as they were.
- Nobody signed in: the widgets are shown disabled, with "Sign in to act.".
"""

from dashboard.actions.calls import CALL_OUTCOMES, call_outcome_form
from dashboard.actions.changes import (
    CHANGES_KEY,
    STARRED,
    Filters,
    newly_starred,
    overlay,
    per_am_with_changes,
    with_calls_now,
    with_newly_starred,
)
from dashboard.actions.common import SIGN_IN
from dashboard.actions.deposits import failed_deposit_review, new_deposit_review
from dashboard.actions.leads import LEAD_REASONS, assign_form, note_form, star_buttons, undo_form
from dashboard.actions.shift import end_of_shift_form

__all__ = [
    "CALL_OUTCOMES",
    "CHANGES_KEY",
    "STARRED",
    "Filters",
    "LEAD_REASONS",
    "SIGN_IN",
    "assign_form",
    "call_outcome_form",
    "end_of_shift_form",
    "failed_deposit_review",
    "new_deposit_review",
    "newly_starred",
    "note_form",
    "overlay",
    "per_am_with_changes",
    "star_buttons",
    "undo_form",
    "with_calls_now",
    "with_newly_starred",
]
