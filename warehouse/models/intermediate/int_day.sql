-- maintained: additive (day)
-- int_day: one row per reporting day (the floor's calendar day) with registrations, deposits or calls: the floor's
-- counts and sums that mart_daily_kpa shows. Key: day. Sums of sign-weighted fact rows, like
-- int_agent_day.
-- Deposits as in int_agent_day: on the day they were decided, FTDs the warehouse's own.
with registrations as (
    select reporting_day(registered_at) as day, sum(sign) as registrations
    from changes_dim_leads
    group by all
),

deposits as (
    select
        reporting_day(counted_at) as day,
        coalesce(sum(sign) filter (where status = 'approved'), 0) as deposits,
        coalesce(sum(sign * amount_usd) filter (where status = 'approved'), 0) as deposit_usd,
        coalesce(sum(sign) filter (where status = 'approved' and is_ftd), 0) as ftds,
        coalesce(sum(sign) filter (where status = 'declined'), 0) as failed_deposits,
        sum(sign) as deposit_rows
    from changes_mart_payments
    group by all
),

calls as (
    select
        reporting_day(started_at) as day,
        sum(sign) as calls,
        coalesce(sum(sign) filter (where outcome = 'connected'), 0) as connected_calls
    from changes_fct_calls
    group by all
),

final as (
    select
        day,
        cast(coalesce(registrations.registrations, 0) as bigint) as registrations,
        cast(coalesce(deposits.deposits, 0) as bigint) as deposits,
        cast(coalesce(deposits.deposit_usd, 0) as decimal(18, 2)) as deposit_usd,
        cast(coalesce(deposits.ftds, 0) as bigint) as ftds,
        cast(coalesce(deposits.failed_deposits, 0) as bigint) as failed_deposits,
        cast(coalesce(calls.calls, 0) as bigint) as calls,
        cast(coalesce(calls.connected_calls, 0) as bigint) as connected_calls,
        -- How many fact rows the key sums (leads, deposit attempts of any status, calls):
        -- the key goes when it reaches 0.
        cast(
            coalesce(registrations.registrations, 0) + coalesce(deposits.deposit_rows, 0)
            + coalesce(calls.calls, 0) as bigint
        ) as fact_rows
    from registrations
    full join deposits using (day)
    full join calls using (day)
)

select * from final
