-- starred_leads: the starred leads (F5), optionally of one team ($team_id) or one AM ($am_id)
-- (NULL = all), at most $limit, by AM then rank: the star board's list. Each row carries the
-- lead's wall-clock time at $now and whether that is inside the calling hours
-- [$first_minute, $end_minute) of the lead's day, and the callback in the lead's own zone.
select
    lead_id,
    lead_name,
    am_id,
    am_name,
    team_name,
    country,
    time_zone,
    local_time(time_zone, $now) as local_time,
    inside_calling_hours(time_zone, $now, $first_minute, $end_minute) as in_calling_hours,
    callback_at,
    local_time(time_zone, callback_at) as callback_local,
    last_contacted_at,
    status,
    priority,
    priority_score,
    priority_reasons
from mart_lead_priority
where is_starred
  and ($am_id is null or am_id = $am_id)
  and ($team_id is null or am_id in (select staff_id from dim_staff where team_id = $team_id))
order by am_name nulls last, priority_score desc, lead_id
limit $limit
