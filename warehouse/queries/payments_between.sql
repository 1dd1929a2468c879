-- payments_between: deposit attempts from $since to $until (UTC), optionally of one status
-- ($status NULL = all), newest first: the payment options log and the deposit reviews.
select *
from mart_payments
where created_at >= $since and created_at < $until
  and ($status is null or status = $status)
order by created_at desc, deposit_id desc
limit $limit
