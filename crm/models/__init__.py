"""The operational CRM: every table the features F1-F13 read or write.

Conventions that the ETL and the action layer rely on:
- every mutable table has an indexed ``updated_at`` (UTC), the ETL's incremental watermark;
- money is exact (``Money``: NUMERIC(18, 2)) with its ISO currency beside it, and a USD amount
  where the warehouse needs to add amounts up;
- times are UTC (``UTCDateTime``); a lead's local time comes from its IANA ``time_zone``;
- the choice columns (role, desk, status, outcome, ...) are checked by the database itself.

The tables live by domain in this package's modules; every name is importable from
``crm.models`` itself, and importing it registers every table on ``Base.metadata``.
"""

from crm.models.audit import AppliedAction, AuditLog, CrmSetting, DeletedRow
from crm.models.base import Base, BigId, Timestamped, choice, utcnow
from crm.models.calls import CALL_OUTCOMES, Call
from crm.models.deposits import (
    DEPOSIT_METHODS,
    DEPOSIT_STATUSES,
    AmTarget,
    Currency,
    DepositAttempt,
    TargetBoardEntry,
)
from crm.models.distribution import (
    DEPOSIT_SEGMENTS,
    WAITING_REASONS,
    AmLeave,
    AmOpenLeads,
    AmShift,
    DistributionPoolMember,
    DistributionRule,
    DistributionWaiting,
)
from crm.models.ingest import (
    INBOX_KINDS,
    INBOX_STATUSES,
    INTEGRATION_KINDS,
    InboxEvent,
    IngestRequest,
    Integration,
    WebhookMessage,
)
from crm.models.leads import (
    ASSIGNMENT_REASONS,
    COMPLIANCE_STATUSES,
    EMAIL_STATUSES,
    EMAIL_TEMPLATES,
    LEAD_PRIORITIES,
    LEAD_STATUSES,
    NEW_LEADS_SQL,
    OPEN_LEADS_SQL,
    TICKET_PRIORITIES,
    TICKET_STATUSES,
    Assignment,
    EmailOutbox,
    Lead,
    Note,
    PlatformSession,
    SupportTicket,
)
from crm.models.people import (
    DESKS,
    ROLES,
    SESSION_END_REASONS,
    SIGN_IN_METHODS,
    SIGN_IN_OUTCOMES,
    SignInAttempt,
    SignInSession,
    Staff,
    StaffHistory,
    Team,
)

__all__ = [
    "ASSIGNMENT_REASONS",
    "AmLeave",
    "AmOpenLeads",
    "AmShift",
    "AmTarget",
    "AppliedAction",
    "Assignment",
    "AuditLog",
    "Base",
    "BigId",
    "CALL_OUTCOMES",
    "COMPLIANCE_STATUSES",
    "Call",
    "CrmSetting",
    "Currency",
    "DEPOSIT_METHODS",
    "DEPOSIT_SEGMENTS",
    "DEPOSIT_STATUSES",
    "DESKS",
    "DeletedRow",
    "DepositAttempt",
    "DistributionPoolMember",
    "DistributionRule",
    "DistributionWaiting",
    "EMAIL_STATUSES",
    "EMAIL_TEMPLATES",
    "EmailOutbox",
    "INBOX_KINDS",
    "INBOX_STATUSES",
    "INTEGRATION_KINDS",
    "InboxEvent",
    "IngestRequest",
    "Integration",
    "LEAD_PRIORITIES",
    "LEAD_STATUSES",
    "Lead",
    "NEW_LEADS_SQL",
    "Note",
    "OPEN_LEADS_SQL",
    "PlatformSession",
    "ROLES",
    "SESSION_END_REASONS",
    "SIGN_IN_METHODS",
    "SIGN_IN_OUTCOMES",
    "SignInAttempt",
    "SignInSession",
    "Staff",
    "StaffHistory",
    "SupportTicket",
    "TICKET_PRIORITIES",
    "TICKET_STATUSES",
    "TargetBoardEntry",
    "Team",
    "Timestamped",
    "WAITING_REASONS",
    "WebhookMessage",
    "choice",
    "utcnow",
]
