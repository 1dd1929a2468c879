"""The CRM's tables the action machinery reads and writes, as SQLAlchemy Core tables."""

from crm.models import AppliedAction, AuditLog, Lead, Staff

LEADS = Lead.__table__
STAFF = Staff.__table__
AUDIT = AuditLog.__table__
APPLIED = AppliedAction.__table__
STAFF_COLUMNS = (STAFF.c.id, STAFF.c.name, STAFF.c.role, STAFF.c.desk, STAFF.c.is_active)
