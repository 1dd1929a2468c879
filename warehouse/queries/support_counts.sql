-- support_counts: one row per ticket priority (urgent, high, normal, low, all four always),
-- counting the open and pending tickets, optionally of one owner ($owner_id) or only those
-- nobody owns ($unowned), with the oldest one's age in hours at $now (NULL: none open).
with priorities as (
    select * from (values ('urgent', 4), ('high', 3), ('normal', 2), ('low', 1))
        as p(priority, priority_rank)
),

open_tickets as (
    select priority, opened_at
    from mart_support_tickets
    where is_open
      and ($owner_id is null or owner_id = $owner_id)
      and (not $unowned or owner_id is null)
),

final as (
    select
        priorities.priority,
        priorities.priority_rank,
        count(open_tickets.opened_at) as tickets,
        round((epoch($now) - epoch(min(open_tickets.opened_at))) / 3600, 1) as oldest_hours
    from priorities
    left join open_tickets using (priority)
    group by all
)

select * from final
order by priority_rank desc
