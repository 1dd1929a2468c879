-- recent_call: the latest call the AM am_id logged on the lead lead_id (not one the dialer
-- reported) at or after since: at most one row. The index on (am_id, started_at) finds it.
select
    id as call_id,
    outcome,
    started_at
from calls
where am_id = :am_id
  and lead_id = :lead_id
  and started_at >= :since
  and external_id is null
order by started_at desc, id desc
limit 1
