-- payment_attempts: deposit attempts on the days from $first_day to $last_day (reporting
-- days, inclusive), optionally of one method ($method) and one status ($status) (NULL = all), newest
-- first, at most $limit: the payment options log's list.
with payments as (
    -- mart_payments as of the ETL's last run, each attempt the CRM changed since replaced by
    -- its live version (`live_payments`, read from the CRM a moment ago: crm/live.py).
    select created_at, deposit_id, lead_id, lead_name, am_name, method, provider,
        status, decline_reason, amount, currency, amount_usd, is_ftd
    from mart_payments
    where deposit_id not in (select deposit_id from live_payments)
    union all
    select created_at, deposit_id, lead_id, lead_name, am_name, method, provider,
        status, decline_reason, amount, currency, amount_usd, is_ftd
    from live_payments
)

select
    created_at,
    deposit_id,
    lead_id,
    lead_name,
    am_name,
    method,
    provider,
    status,
    decline_reason,
    amount,
    currency,
    amount_usd,
    is_ftd
from payments
where created_at >= day_start($first_day) and created_at < day_start($last_day + 1)
  and ($method is null or method = $method)
  and ($status is null or status = $status)
order by created_at desc, deposit_id desc
limit $limit
