-- changed_note_leads: the leads whose mart_lead_notes row an incremental run recomputes: those
-- with a note or an assignment that came, went or changed, and every lead that changed itself
-- (its AM may have, and the AM decides whose notes are a manager's). Keep in step with
-- mart_lead_notes.
select lead_id from changes_fct_notes
union select lead_id from changes_fct_assignments
union select lead_id from changes_dim_leads
