-- maintained: by key (deposit_id) from changed_deposit_ids
-- mart_payments: one row per deposit attempt (approved, declined or pending), with who and
-- where it belongs. Key: deposit_id.
with deposits as (
    select * from fct_deposit_attempts
    where deposit_id in (select deposit_id from changed_deposit_ids)
),

leads as (
    select lead_id, first_name || ' ' || last_name as lead_name, country, time_zone, desk
    from dim_leads
),

staff as (
    select staff_id, staff_name, team_name from dim_staff
),

board as (
    select deposit_id, true as on_target_board from fct_target_board_entries
),

final as (
    select
        deposits.deposit_id,
        deposits.lead_id,
        leads.lead_name,
        leads.country,
        leads.time_zone,
        leads.desk as lead_desk,
        deposits.am_id,
        staff.staff_name as am_name,
        staff.team_name,
        deposits.method,
        deposits.provider,
        deposits.status,
        deposits.decline_reason,
        deposits.amount,
        deposits.currency,
        deposits.amount_usd,
        deposits.is_self_deposit,
        deposits.is_ftd,
        coalesce(board.on_target_board, false) as on_target_board,
        deposits.created_at
    from deposits
    join leads using (lead_id)
    left join staff on staff.staff_id = deposits.am_id
    left join board using (deposit_id)
)

select * from final
order by created_at, deposit_id
