-- activity_totals: one row, the log report's totals over the days from $first_day to
-- $last_day (inclusive), optionally of one team ($team_id) or one AM ($am_id) (NULL = all).
select
    coalesce(sum(calls), 0) as calls,
    coalesce(sum(connected_calls), 0) as connected_calls,
    coalesce(sum(emails), 0) as emails,
    coalesce(sum(notes), 0) as notes,
    coalesce(sum(assignments), 0) as assignments
from mart_activity_daily
where day between $first_day and $last_day
  and ($team_id is null or team_id = $team_id)
  and ($am_id is null or am_id = $am_id)
