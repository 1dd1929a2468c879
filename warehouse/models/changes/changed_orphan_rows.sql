-- changed_orphan_rows: the rows whose place in int_quarantine_orphans an incremental run looks
-- at again: the candidates of each table (etl/changes.py: its rows landed or deleted in this
-- run, and those pointing at a lead or AM that changed).
select 'calls' as table_name, cast(call_id as varchar) as row_key from candidates_calls
union all select 'deposit_attempts', cast(deposit_id as varchar) from candidates_deposit_attempts
union all select 'platform_sessions', cast(session_id as varchar) from candidates_platform_sessions
union all select 'assignments', cast(assignment_id as varchar) from candidates_assignments
union all select 'notes', cast(note_id as varchar) from candidates_notes
union all select 'email_outbox', cast(email_id as varchar) from candidates_email_outbox
union all select 'support_tickets', cast(ticket_id as varchar) from candidates_support_tickets
union all select 'leads', cast(lead_id as varchar) from candidates_leads
