-- payment_attempts: deposit attempts on the days from $first_day to $last_day (UTC,
-- inclusive), optionally of one method ($method) and one status ($status) (NULL = all), newest
-- first, at most $limit: the payment options log's list.
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
from mart_payments
where created_at >= $first_day and created_at < $last_day + interval 1 day
  and ($method is null or method = $method)
  and ($status is null or status = $status)
order by created_at desc, deposit_id desc
limit $limit
