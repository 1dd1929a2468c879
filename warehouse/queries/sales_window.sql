-- sales_window: one row, the sales floor's totals of the moments from $start to $end (UTC,
-- $start included, $end not), optionally one team ($team_id) or one AM ($am_id) (NULL = all):
-- the sales dashboard's KPI tiles for a period that ends today, and for the period before it
-- to the same minute. The same figures as sales_totals (mart_agent_daily: the account
-- managers' calls, the deposits credited to them on the moment they were approved), cut at a
-- moment instead of midnight.
with account_managers as (
    select staff_id as am_id
    from dim_staff
    where role = 'account_manager'
      and ($team_id is null or team_id = $team_id)
      and ($am_id is null or staff_id = $am_id)
),

calls as (
    select detail
    from mart_activity_log
    where kind = 'call' and occurred_at >= $start and occurred_at < $end
      and am_id in (select am_id from account_managers)
),

deposits as (
    select amount_usd, is_ftd
    from mart_payments
    where status = 'approved' and counted_at >= $start and counted_at < $end
      and am_id in (select am_id from account_managers)
),

final as (
    select
        (select count(*) from calls) as calls,
        (select count(*) filter (where detail = 'connected') from calls) as connected_calls,
        (
            select case when count(*) > 0
                then round(count(*) filter (where detail = 'connected') / count(*), 4) end
            from calls
        ) as call_ratio,
        (select count(*) from deposits) as deposits,
        (select cast(coalesce(sum(amount_usd), 0) as decimal(18, 2)) from deposits)
            as deposit_usd,
        (select count(*) filter (where is_ftd) from deposits) as ftds
)

select * from final
