-- changed_events: the rows of mart_activity_log an incremental run recomputes: changed calls,
-- notes, mails and assignments; every mail of a lead whose assignments changed (a mail counts
-- for the lead's owner when it was sent); every assignment made by or taken from an AM who
-- changed (their names show in its summary).
select 'call' as kind, call_id as event_id from changes_fct_calls
union select 'note', note_id from changes_fct_notes
union select 'email', email_id from changes_fct_emails
union select 'email', email_id from fct_emails
    where lead_id in (select lead_id from changes_fct_assignments)
union select 'assignment', assignment_id from changes_fct_assignments
union select 'assignment', assignment_id from fct_assignments
    where by_id in (select staff_id from touched_staff)
union select 'assignment', assignment_id from fct_assignments
    where from_am_id in (select staff_id from touched_staff)
