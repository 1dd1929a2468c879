-- payment_totals: one row, the deposit attempts from $since to $until (UTC), optionally of one
-- method ($method): attempts, approved, declined, pending, approval rate (approved / decided;
-- NULL when none decided), approved USD. The payment options log's tiles.
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
where created_at >= $since and created_at < $until
  and ($method is null or method = $method)
