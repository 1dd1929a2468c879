-- sales_window: one row, the sales floor's totals of the moments from $start to $end (UTC,
-- $start included, $end not), optionally one team ($team_id) or one AM ($am_id) (NULL = all):
-- the sales dashboard's KPI tiles for a period that ends today, and for the period before it
-- to the same minute. The same figures as sales_totals (mart_agent_daily: the account
-- managers' calls, the deposits credited to them on the moment they were approved), cut at a
-- moment instead of midnight.
-- Each call and deposit counts for the team its AM had on its reporting day, as
-- mart_agent_daily has them (an AM moved since counts for their team of then).
with calls as (
    select log.detail
    from mart_activity_log as log
    join mart_agent_daily as days
        on days.am_id = log.am_id and days.day = reporting_day(log.occurred_at)
    where log.kind = 'call' and log.occurred_at >= $start and log.occurred_at < $end
      and ($team_id is null or days.team_id = $team_id)
      and ($am_id is null or log.am_id = $am_id)
),

deposits as (
    select payments.amount_usd, payments.is_ftd
    from mart_payments as payments
    join mart_agent_daily as days
        on days.am_id = payments.am_id and days.day = reporting_day(payments.counted_at)
    where payments.status = 'approved'
      and payments.counted_at >= $start and payments.counted_at < $end
      and ($team_id is null or days.team_id = $team_id)
      and ($am_id is null or payments.am_id = $am_id)
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
