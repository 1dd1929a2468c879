-- payment_methods: one row per method and provider with deposit attempts on the days from
-- $first_day to $last_day (reporting days, inclusive), optionally of one method ($method): attempts,
-- approved, declined, pending, the approval rate (approved / decided, pending left out; NULL
-- when none decided) and the approved USD. Most attempts first.
with payments as (
    -- mart_payments as of the ETL's last run, each attempt the CRM changed since replaced by
    -- its live version (`live_payments`, read from the CRM a moment ago: crm/live.py).
    select status, method, provider, amount_usd, created_at
    from mart_payments
    where deposit_id not in (select deposit_id from live_payments)
    union all
    select status, method, provider, amount_usd, created_at
    from live_payments
)

select
    method,
    provider,
    count(*) as attempts,
    count(*) filter (where status = 'approved') as approved,
    count(*) filter (where status = 'declined') as declined,
    count(*) filter (where status = 'pending') as pending,
    case when count(*) filter (where status <> 'pending') > 0
        then round(
            count(*) filter (where status = 'approved')
            / count(*) filter (where status <> 'pending'), 4
        ) end as approval_rate,
    coalesce(sum(amount_usd) filter (where status = 'approved'), 0) as approved_usd
from payments
where created_at >= day_start($first_day) and created_at < day_start($last_day + 1)
  and ($method is null or method = $method)
group by method, provider
order by attempts desc, method, provider
