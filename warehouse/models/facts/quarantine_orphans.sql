-- quarantine_orphans: rows that are well-formed but point at a lead or AM the warehouse does
-- not have (missing in the CRM, or itself quarantined). Computed from the current state, so a
-- row leaves this list as soon as its lead or AM arrives. Key: (table_name, row_key).
with leads as (select lead_id from dim_leads),
staff as (select staff_id from stg_staff),

orphans as (
    select 'leads' as table_name, cast(lead_id as varchar) as row_key,
        'AM ' || am_id || ' is missing' as reason
    from stg_leads where am_id is not null and am_id not in (select staff_id from staff)
    union all
    select 'calls', cast(call_id as varchar),
        case when lead_id not in (select lead_id from leads) then 'lead ' || lead_id || ' is missing or quarantined'
             else 'AM ' || am_id || ' is missing' end
    from stg_calls
    where lead_id not in (select lead_id from leads) or am_id not in (select staff_id from staff)
    union all
    select 'deposit_attempts', cast(deposit_id as varchar),
        case when lead_id not in (select lead_id from leads) then 'lead ' || lead_id || ' is missing or quarantined'
             else 'AM ' || am_id || ' is missing' end
    from stg_deposit_attempts
    where lead_id not in (select lead_id from leads)
       or (am_id is not null and am_id not in (select staff_id from staff))
    union all
    select 'platform_sessions', cast(session_id as varchar), 'lead ' || lead_id || ' is missing or quarantined'
    from stg_platform_sessions where lead_id not in (select lead_id from leads)
    union all
    select 'assignments', cast(assignment_id as varchar),
        case when lead_id not in (select lead_id from leads) then 'lead ' || lead_id || ' is missing or quarantined'
             else 'AM ' || to_am_id || ' is missing' end
    from stg_assignments
    where lead_id not in (select lead_id from leads) or to_am_id not in (select staff_id from staff)
    union all
    select 'notes', cast(note_id as varchar), 'lead ' || lead_id || ' is missing or quarantined'
    from stg_notes where lead_id not in (select lead_id from leads)
    union all
    select 'email_outbox', cast(email_id as varchar), 'lead ' || lead_id || ' is missing or quarantined'
    from stg_email_outbox where lead_id not in (select lead_id from leads)
    union all
    select 'support_tickets', cast(ticket_id as varchar), 'lead ' || lead_id || ' is missing or quarantined'
    from stg_support_tickets where lead_id not in (select lead_id from leads)
)

select * from orphans
