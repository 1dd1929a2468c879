-- mart_daily_kpa: one row per reporting day (UTC), from the first registration to the day of
-- the run: the floor's key performance areas. Key: day.
with registrations as (
    select cast(registered_at as date) as day, count(*) as registrations
    from dim_leads
    group by all
),

deposits as (
    select
        cast(created_at as date) as day,
        count(*) filter (where status = 'approved') as deposits,
        coalesce(sum(amount_usd) filter (where status = 'approved'), 0) as deposit_usd,
        count(*) filter (where status = 'approved' and is_ftd) as ftds,
        count(*) filter (where status = 'declined') as failed_deposits
    from fct_deposit_attempts
    group by all
),

calls as (
    select
        cast(started_at as date) as day,
        count(*) as calls,
        count(*) filter (where outcome = 'connected') as connected_calls
    from fct_calls
    group by all
),

days as (
    select cast(unnest(generate_series(
        (select min(day) from registrations), cast(getvariable('as_of') as date), interval 1 day
    )) as date) as day
),

final as (
    select
        days.day,
        coalesce(registrations.registrations, 0) as registrations,
        coalesce(deposits.ftds, 0) as ftds,
        coalesce(deposits.deposits, 0) as deposits,
        cast(coalesce(deposits.deposit_usd, 0) as decimal(18, 2)) as deposit_usd,
        coalesce(deposits.failed_deposits, 0) as failed_deposits,
        coalesce(calls.calls, 0) as calls,
        coalesce(calls.connected_calls, 0) as connected_calls,
        case when calls.calls > 0
            then round(calls.connected_calls / calls.calls, 4) end as call_ratio,
        case when registrations.registrations > 0
            then round(coalesce(deposits.ftds, 0) / registrations.registrations, 4)
        end as conversion_rate
    from days
    left join registrations using (day)
    left join deposits using (day)
    left join calls using (day)
)

select * from final
order by day
