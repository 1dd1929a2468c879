-- starred_leads: the starred leads (F5), optionally of one team ($team_id) or one AM ($am_id)
-- (NULL = all), at most $limit, by AM then rank: the star board's list, and an AM's own list
-- (My leads). Each row carries the lead's wall-clock time at $now and whether that is inside
-- the calling hours [$first_minute, $end_minute) of the lead's day, the callback in the lead's
-- own zone, the lead's `version` (which an action sends back), and `matched`: how many
-- starred leads passed the filters.
select
    lead_id,
    version,
    lead_name,
    am_id,
    am_name,
    team_name,
    country,
    time_zone,
    local_time(time_zone, $now) as local_time,
    inside_calling_hours(time_zone, $now, $first_minute, $end_minute) as inside_calling_hours,
    is_starred,
    callback_at,
    local_time(time_zone, callback_at) as callback_local,
    last_contacted_at,
    status,
    desk,
    priority,
    priority_score,
    priority_reasons,
    count(*) over () as matched
from mart_lead_priority
where is_starred
  and ($am_id is null or am_id = $am_id)
  and ($team_id is null or am_id in (select staff_id from dim_staff where team_id = $team_id))
order by am_name nulls last, priority_score desc, lead_id
limit $limit
