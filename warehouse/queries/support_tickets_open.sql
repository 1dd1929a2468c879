-- support_tickets_open: the open and pending support tickets (F6) of the priorities in
-- $priorities (a list), optionally of one owner ($owner_id) or only those nobody owns
-- ($unowned), at most $limit; highest priority then oldest first, or oldest first when
-- $oldest_first. Age in hours at $now.
select
    ticket_id,
    priority,
    subject,
    lead_id,
    lead_name,
    lead_am_name,
    owner_id,
    owner_name,
    status,
    opened_at,
    round((epoch($now) - epoch(opened_at)) / 3600, 1) as age_hours
from mart_support_tickets
where is_open
  and list_contains($priorities, priority)
  and ($owner_id is null or owner_id = $owner_id)
  and (not $unowned or owner_id is null)
order by
    case when $oldest_first then 0 else priority_rank end desc,
    opened_at,
    ticket_id
limit $limit
