-- maintained: by key (table_name, row_key) from changed_orphan_rows
-- int_quarantine_orphans: rows that are well-formed but point at a lead or AM the warehouse
-- does not have (missing in the CRM, or itself quarantined). A row leaves this list as soon as
-- its lead or AM arrives. Key: (table_name, row_key). Published within the snapshot's
-- quarantine. An incremental run looks again at the candidate rows of each table only (its own
-- changed rows and those pointing at a lead or AM that changed: etl/changes.py).
-- A row's lead is checked with known_lead(lead_id) (see known_leads), its AM by an anti-join
-- with the staff (one hash probe of one column per check).
with staff as (select staff_id from stg_staff),

staged_calls as (
    select * from stg_calls
    where call_id in (select call_id from candidates_calls)  -- changed only
),

staged_deposit_attempts as (
    select * from stg_deposit_attempts
    where deposit_id in (select deposit_id from candidates_deposit_attempts)  -- changed only
),

staged_platform_sessions as (
    select * from stg_platform_sessions
    where session_id in (select session_id from candidates_platform_sessions)  -- changed only
),

staged_assignments as (
    select * from stg_assignments
    where assignment_id in (select assignment_id from candidates_assignments)  -- changed only
),

staged_notes as (
    select * from stg_notes
    where note_id in (select note_id from candidates_notes)  -- changed only
),

staged_email_outbox as (
    select * from stg_email_outbox
    where email_id in (select email_id from candidates_email_outbox)  -- changed only
),

staged_support_tickets as (
    select * from stg_support_tickets
    where ticket_id in (select ticket_id from candidates_support_tickets)  -- changed only
),

staged_leads as (
    select * from stg_leads
    where lead_id in (select lead_id from candidates_leads)  -- changed only
),

missing_lead as (
    select 'calls' as table_name, call_id as row_key, lead_id
    from staged_calls where lead_id is not null and not known_lead(lead_id)
    union all
    select 'deposit_attempts', deposit_id, lead_id
    from staged_deposit_attempts where lead_id is not null and not known_lead(lead_id)
    union all
    select 'platform_sessions', session_id, lead_id
    from staged_platform_sessions where lead_id is not null and not known_lead(lead_id)
    union all
    select 'assignments', assignment_id, lead_id
    from staged_assignments where lead_id is not null and not known_lead(lead_id)
    union all
    select 'notes', note_id, lead_id
    from staged_notes where lead_id is not null and not known_lead(lead_id)
    union all
    select 'email_outbox', email_id, lead_id
    from staged_email_outbox where lead_id is not null and not known_lead(lead_id)
    union all
    select 'support_tickets', ticket_id, lead_id
    from staged_support_tickets where lead_id is not null and not known_lead(lead_id)
),

-- A row whose lead is there but whose AM is not.
missing_am as (
    select 'leads' as table_name, lead_id as row_key, am_id
    from staged_leads anti join staff on staff.staff_id = staged_leads.am_id
    where am_id is not null
    union all
    select 'calls', call_id, am_id
    from staged_calls
    anti join staff on staff.staff_id = staged_calls.am_id
    where am_id is not null and known_lead(staged_calls.lead_id)
    union all
    select 'deposit_attempts', deposit_id, am_id
    from staged_deposit_attempts
    anti join staff on staff.staff_id = staged_deposit_attempts.am_id
    where am_id is not null and known_lead(staged_deposit_attempts.lead_id)
    union all
    select 'assignments', assignment_id, to_am_id
    from staged_assignments
    anti join staff on staff.staff_id = staged_assignments.to_am_id
    where to_am_id is not null and known_lead(staged_assignments.lead_id)
),

orphans as (
    select table_name, cast(row_key as varchar) as row_key,
        'lead ' || lead_id || ' is missing or quarantined' as reason
    from missing_lead
    union all
    select table_name, cast(row_key as varchar), 'AM ' || am_id || ' is missing'
    from missing_am
)

select * from orphans
