-- changed_deposit_ids: the deposit attempts whose mart_payments rows an incremental run
-- recomputes: changed attempts and target-board entries; every attempt of a lead that changed
-- (its name and desk show on the row) or got a new assignment or note (a follow-up of the
-- attempt), or of an AM who changed.
with leads as (
    select lead_id from changes_dim_leads
    union select lead_id from changes_fct_assignments
    union select lead_id from changes_fct_notes
    union select lead_id from touched_leads
)

select deposit_id from changes_fct_deposit_attempts
union select deposit_id from changes_fct_target_board_entries
union select deposit_id from fct_deposit_attempts where lead_id in (select lead_id from leads)
union select deposit_id from fct_deposit_attempts
    where am_id in (select staff_id from touched_staff)
