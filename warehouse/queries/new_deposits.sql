-- new_deposits: the New deposits page (F4): approved deposits made on the reporting days $first_day
-- to $last_day, at most $limit rows; `matched` on each row says how many passed the filters.
-- $kind 'self' lists self deposits (no owning AM, or no AM contact before it: upsale
-- candidates), the ones not yet assigned for upsale first; 'owned' lists deposits on AM-owned
-- accounts (for the crediting AM's target board), the ones not yet on the board first; then the
-- newest. Filters, NULL for any: $team_id and $am_id (the lead's owning AM). Each row carries
-- its lead as the lead pages show it.
with deposits as (
    select *
    from mart_payments
    where status = 'approved'
      and created_at >= day_start($first_day)
      and created_at < day_start($last_day + 1)
      and is_self_deposit = ($kind = 'self')
),

-- The leads of the chosen team or AM (none when neither is chosen: then no lead is looked up).
owned as (
    select lead_id
    from mart_lead_priority
    where ($am_id is not null or $team_id is not null)
      and ($am_id is null or am_id = $am_id)
      and ($team_id is null or am_id in (select staff_id from dim_staff where team_id = $team_id))
),

matched as (
    select
        deposits.deposit_id,
        deposits.lead_id,
        deposits.created_at,
        deposits.provider,
        deposits.method,
        deposits.amount,
        deposits.currency as amount_currency,
        deposits.amount_usd,
        deposits.is_ftd,
        deposits.am_name as credited_am_name,
        deposits.on_target_board,
        deposits.upsale_assigned_at,
        case when $kind = 'self' then deposits.upsale_assigned_at is not null
            else deposits.on_target_board end as is_done
    from deposits
    where ($am_id is null and $team_id is null) or lead_id in (select lead_id from owned)
),

shown as (
    select *
    from matched
    order by is_done, created_at desc, deposit_id desc
    limit $limit
),

final as (
    select
        deposit_id,
        created_at,
        lead_id,
        version,
        lead_name,
        country,
        time_zone,
        local_time(time_zone, $now) as local_time,
        inside_calling_hours(time_zone, $now, $first_minute, $end_minute) as inside_calling_hours,
        amount,
        amount_currency,
        amount_usd,
        is_ftd,
        provider,
        method,
        am_name,
        is_starred,
        team_name,
        credited_am_name,
        on_target_board,
        upsale_assigned_at is not null as is_upsale_assigned,
        upsale_assigned_at,
        status,
        desk,
        balance,
        currency,
        balance_usd,
        last_contacted_at,
        priority_score,
        priority_reasons,
        is_done,
        (select count(*) from matched) as matched
    from shown
    join mart_lead_priority as leads using (lead_id)
)

select * exclude (is_done)
from final
order by is_done, created_at desc, deposit_id desc
