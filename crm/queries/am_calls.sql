-- am_calls: the calls an AM logged in a span of time (the reporting day up to now), and how
-- many of them connected, as the CRM holds them now (a replaced call is deleted): read by the
-- calls' (am_id, started_at) index.
select
    count(*) as calls,
    coalesce(sum(case when outcome = 'connected' then 1 else 0 end), 0) as connected_calls
from calls
where am_id = :am_id
  and started_at >= :first
  and started_at < :last
