-- changed_deposit_ids: the deposit attempts whose mart_payments rows an incremental run
-- recomputes: changed attempts; attempts put on or taken off a target board (the row says
-- only whether it is on one: an entry's amount is the board's business); every attempt of a
-- lead whose name, country, zone or desk changed (they show on the row), or that got, lost or
-- moved a failed-deposit or upsale assignment or a note (a follow-up of the attempt); every
-- attempt of an AM who changed; every attempt of a lead whose approved attempts came, went or
-- moved in time (which one is the FTD depends on all of them; a changed amount or note moves
-- none: at 1 % of the CRM changed, recomputing every attempt of each lead with a changed one
-- was 280 k rows instead of 13 k). Keep the columns below in step with mart_payments.
with shown as (
    select sign, lead_id, first_name, last_name, country, time_zone, desk from changes_dim_leads
),

follow_ups as (
    select sign, lead_id, assignment_id as follow_up_id, 'assignment' as kind, reason,
        assigned_at as followed_at
    from changes_fct_assignments
    where reason in ('failed_deposit', 'upsale')
    union all
    select sign, lead_id, note_id, 'note', null, created_at from changes_fct_notes
),

board as (
    select sign, entry_id, deposit_id from changes_fct_target_board_entries
),

-- What mart_payments' FTD rule reads of an attempt: its lead, whether approved, and when.
approvals as (
    select sign, lead_id, deposit_id, coalesce(decided_at, created_at) as counted_at
    from changes_fct_deposit_attempts
    where status = 'approved'
),

leads as (
    select lead_id from (select * exclude (sign), sum(sign) as net from shown group by all)
    where net <> 0
    union all
    select lead_id from (select * exclude (sign), sum(sign) as net from follow_ups group by all)
    where net <> 0
    union all
    select lead_id from (select * exclude (sign), sum(sign) as net from approvals group by all)
    where net <> 0
)

select deposit_id from changes_fct_deposit_attempts
union select deposit_id from (select * exclude (sign), sum(sign) as net from board group by all)
    where net <> 0
union select deposit_id from fct_deposit_attempts where lead_id in (select lead_id from leads)
union select deposit_id from fct_deposit_attempts
    where am_id in (select staff_id from touched_staff)
