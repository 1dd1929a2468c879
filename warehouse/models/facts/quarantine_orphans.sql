-- quarantine_orphans: rows that are well-formed but point at a lead or AM the warehouse does
-- not have (missing in the CRM, or itself quarantined). Computed from the current state, so a
-- row leaves this list as soon as its lead or AM arrives. Key: (table_name, row_key).
-- Written as anti-joins (one hash probe of one column per check): at brokerage scale every
-- snapshot reads tens of millions of staged rows through this view.
with leads as (select lead_id from dim_leads),
staff as (select staff_id from stg_staff),

missing_lead as (
    select 'calls' as table_name, call_id as row_key, lead_id
    from stg_calls anti join leads using (lead_id) where lead_id is not null
    union all
    select 'deposit_attempts', deposit_id, lead_id
    from stg_deposit_attempts anti join leads using (lead_id) where lead_id is not null
    union all
    select 'platform_sessions', session_id, lead_id
    from stg_platform_sessions anti join leads using (lead_id) where lead_id is not null
    union all
    select 'assignments', assignment_id, lead_id
    from stg_assignments anti join leads using (lead_id) where lead_id is not null
    union all
    select 'notes', note_id, lead_id
    from stg_notes anti join leads using (lead_id) where lead_id is not null
    union all
    select 'email_outbox', email_id, lead_id
    from stg_email_outbox anti join leads using (lead_id) where lead_id is not null
    union all
    select 'support_tickets', ticket_id, lead_id
    from stg_support_tickets anti join leads using (lead_id) where lead_id is not null
),

-- A row whose lead is there but whose AM is not.
missing_am as (
    select 'leads' as table_name, lead_id as row_key, am_id
    from stg_leads anti join staff on staff.staff_id = stg_leads.am_id
    where am_id is not null
    union all
    select 'calls', call_id, am_id
    from stg_calls semi join leads using (lead_id)
    anti join staff on staff.staff_id = stg_calls.am_id
    where am_id is not null
    union all
    select 'deposit_attempts', deposit_id, am_id
    from stg_deposit_attempts semi join leads using (lead_id)
    anti join staff on staff.staff_id = stg_deposit_attempts.am_id
    where am_id is not null
    union all
    select 'assignments', assignment_id, to_am_id
    from stg_assignments semi join leads using (lead_id)
    anti join staff on staff.staff_id = stg_assignments.to_am_id
    where to_am_id is not null
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
