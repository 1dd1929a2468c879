-- leads_by_id: the leads $lead_ids (a list of lead ids) with the columns of starred_leads,
-- starred or not: the leads a person starred since the last ETL run, which the star board and
-- My leads show at once (with the person's change laid over them) instead of after the run.
-- `local_time` is the lead's wall clock at $now, `inside_calling_hours` whether it falls in
-- [$first_minute, $end_minute) of the lead's day.
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
where lead_id in (select unnest($lead_ids))
order by am_name nulls last, priority_score desc, lead_id
