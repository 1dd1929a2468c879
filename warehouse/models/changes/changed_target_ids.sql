-- changed_target_ids: the targets whose mart_target_board rows an incremental run recomputes:
-- every target that came, went or changed, and every target of an AM whose board entries
-- (came, went, moved or changed amount) or board deposits (date or FTD flag) changed, or who
-- changed (name, team). Keep the columns below in step with mart_target_board.
with entries as (
    select sign, entry_id, am_id, deposit_id, amount_usd
    from changes_fct_target_board_entries
),

deposits as (
    select sign, deposit_id, created_at, is_ftd from changes_fct_deposit_attempts
),

moved_deposits as (
    select deposit_id from (select * exclude (sign), sum(sign) as net from deposits group by all)
    where net <> 0
),

ams as (
    select am_id from (select * exclude (sign), sum(sign) as net from entries group by all)
    where net <> 0
    union all
    select am_id from fct_target_board_entries
    where deposit_id in (select deposit_id from moved_deposits)
    union all
    select staff_id from touched_staff
)

select target_id from changes_fct_am_targets
union select target_id from stg_am_targets where am_id in (select am_id from ams)
