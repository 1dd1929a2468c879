"""The action layer: the only code that writes people's decisions to the CRM.

Every action takes the acting staff member (``actor_id``) and an ``action_id`` (one per form,
kept in session state: a rerun or double click sends it again and writes nothing more), and
each lead as the version the person saw. It runs in one transaction, is audited, and answers
with an ``ActionResult`` or raises ``ActionRefused`` (``LeadChanged`` when someone else changed
a lead meanwhile) with a one-line message, having written nothing.
"""

from crm.actions.calls import REPLACE_WINDOW, RecentCall, callback_utc, log_call
from crm.actions.checks import BULK_LIMIT, NOTE_MAX_CHARS
from crm.actions.claims import Deferred
from crm.actions.deposits import (
    approve_compliance,
    assign_failed_deposit,
    assign_for_upsale,
    record_on_target_board,
)
from crm.actions.ingest_calls import record_call
from crm.actions.ingest_core import FieldRefused, event_action_id, lock_leads_ahead
from crm.actions.ingest_deposits import record_deposit_event
from crm.actions.ingest_inbox import apply_waiting, dismiss_waiting, waiting_events
from crm.actions.ingest_leads import ingest_leads
from crm.actions.ingest_platform import record_platform_event
from crm.actions.leads import (
    END_OF_SHIFT_LIMIT,
    LeadRef,
    ShiftPlan,
    add_note,
    assign,
    end_of_shift,
    star,
    unstar,
)
from crm.actions.ownership import TAKE_REASON
from crm.actions.registration import register_leads
from crm.actions.results import ActionRefused, ActionResult, LeadChanged, new_action_id
from crm.actions.reviews import assign_failed_deposits, record_on_target_boards
from crm.actions.settings import set_calling_hours, set_working_days
from crm.actions.undo import UNDO_WINDOW, undo_assignment, undoable_assignments

__all__ = [
    "BULK_LIMIT",
    "END_OF_SHIFT_LIMIT",
    "NOTE_MAX_CHARS",
    "REPLACE_WINDOW",
    "TAKE_REASON",
    "UNDO_WINDOW",
    "ActionRefused",
    "ActionResult",
    "Deferred",
    "FieldRefused",
    "LeadChanged",
    "LeadRef",
    "RecentCall",
    "ShiftPlan",
    "add_note",
    "apply_waiting",
    "approve_compliance",
    "assign",
    "assign_failed_deposit",
    "assign_failed_deposits",
    "assign_for_upsale",
    "callback_utc",
    "dismiss_waiting",
    "end_of_shift",
    "event_action_id",
    "ingest_leads",
    "lock_leads_ahead",
    "log_call",
    "new_action_id",
    "record_call",
    "record_deposit_event",
    "record_on_target_board",
    "record_on_target_boards",
    "record_platform_event",
    "register_leads",
    "set_calling_hours",
    "set_working_days",
    "star",
    "undo_assignment",
    "undoable_assignments",
    "unstar",
    "waiting_events",
]
