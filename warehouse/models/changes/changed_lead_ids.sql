-- changed_lead_ids: the leads whose per-lead rows an incremental run recomputes: every lead a
-- changed fact row points at, every lead that changed itself, and the leads of an AM who did.
select lead_id from changes_dim_leads
union select lead_id from changes_fct_platform_sessions
union select lead_id from changes_fct_calls
union select lead_id from changes_fct_deposit_attempts
union select lead_id from changes_fct_notes
union select lead_id from changes_fct_emails
union select lead_id from changes_fct_assignments
union select lead_id from changes_fct_support_tickets
union select lead_id from touched_leads
