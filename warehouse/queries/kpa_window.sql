-- kpa_window: one row, the floor's KPAs of the moments from $start to $end (UTC, $start
-- included, $end not): the executive KPAs' "so far" figures of a day still running, and of the
-- days it is compared with to the same minute. The same rules as mart_daily_kpa (a deposit
-- counts when it was approved, an FTD is the warehouse's), cut at a moment instead of midnight.
-- The cohort counts the leads registered in the window whose FTD came within 7 days of
-- registering and before $end.
with registered as (
    select registered_at, ftd_at
    from mart_lead_funnel
    where registered_at >= $start and registered_at < $end
),

payments as (
    select status, amount_usd, is_ftd
    from mart_payments
    where counted_at >= $start and counted_at < $end
),

calls as (
    select detail
    from mart_activity_log
    where kind = 'call' and occurred_at >= $start and occurred_at < $end
),

final as (
    select
        (select count(*) from registered) as registrations,
        (select count(*) filter (where status = 'approved' and is_ftd) from payments) as ftds,
        (select count(*) filter (where status = 'approved') from payments) as deposits,
        (
            select cast(coalesce(sum(amount_usd) filter (where status = 'approved'), 0)
                as decimal(18, 2))
            from payments
        ) as deposit_usd,
        (select count(*) filter (where status = 'declined') from payments) as failed_deposits,
        (select count(*) from calls) as calls,
        (select count(*) filter (where detail = 'connected') from calls) as connected_calls,
        (
            select count(*) filter (
                where ftd_at < registered_at + interval 7 day and ftd_at < $end
            )
            from registered
        ) as cohort_ftds
)

select * from final
