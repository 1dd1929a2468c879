-- payment_totals: one row, the deposit attempts on the days from $first_day to $last_day
-- (UTC, inclusive), optionally of one method ($method): attempts, approved, declined, pending,
-- approval rate (approved / decided; NULL when none decided), approved USD. The payment
-- options log's tiles.
select
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
from mart_payments
where created_at >= $first_day and created_at < $last_day + interval 1 day
  and ($method is null or method = $method)
