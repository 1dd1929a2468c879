-- maintained: additive (am_id, day)
-- int_agent_day: one row per AM per reporting day (the floor's calendar day) with calls or deposits: the counts and
-- sums mart_agent_daily shows. Key: (am_id, day). Every figure is a sum of sign-weighted fact
-- rows (changes_*: +1 per row on a full run; -1 for a row's old version and +1 for its new one
-- on an incremental run), so an incremental run adds what it computes to the rows there.
-- Deposits come from mart_payments' rows and changes: each counts on the day it was decided
-- (approved), and an FTD is the warehouse's own (the lead's first approved deposit).
with calls as (
    select
        am_id,
        reporting_day(started_at) as day,
        sum(sign) as calls,
        coalesce(sum(sign) filter (where outcome = 'connected'), 0) as connected_calls,
        coalesce(sum(sign * duration_s) filter (where outcome = 'connected'), 0) as talk_seconds
    from changes_fct_calls
    group by all
),

deposits as (
    select
        am_id,
        reporting_day(counted_at) as day,
        coalesce(sum(sign) filter (where status = 'approved'), 0) as deposits,
        coalesce(sum(sign * amount_usd) filter (where status = 'approved'), 0) as deposit_usd,
        coalesce(sum(sign) filter (where status = 'approved' and is_ftd), 0) as ftds,
        coalesce(sum(sign) filter (where status = 'declined'), 0) as failed_deposits,
        sum(sign) as deposit_rows
    from changes_mart_payments
    where am_id is not null
    group by all
),

final as (
    select
        am_id,
        day,
        cast(coalesce(calls.calls, 0) as bigint) as calls,
        cast(coalesce(calls.connected_calls, 0) as bigint) as connected_calls,
        cast(coalesce(calls.talk_seconds, 0) as bigint) as talk_seconds,
        cast(coalesce(deposits.deposits, 0) as bigint) as deposits,
        cast(coalesce(deposits.deposit_usd, 0) as decimal(18, 2)) as deposit_usd,
        cast(coalesce(deposits.ftds, 0) as bigint) as ftds,
        cast(coalesce(deposits.failed_deposits, 0) as bigint) as failed_deposits,
        -- How many fact rows the key sums (calls and deposit attempts of any status): the
        -- key goes when it reaches 0.
        cast(coalesce(calls.calls, 0) + coalesce(deposits.deposit_rows, 0) as bigint)
            as fact_rows
    from calls
    full join deposits using (am_id, day)
)

select * from final
