-- activity_days: one row per AM per day from $first_day to $last_day (inclusive), optionally
-- of one team ($team_id) or one AM ($am_id) (NULL = all), newest day first, at most $limit:
-- the log report's calls, connected calls, e-mails, notes and assignments.
select day, am_id, am_label as am_name, team_name, calls, connected_calls, emails, notes, assignments
from mart_activity_daily
where day between $first_day and $last_day
  and ($team_id is null or team_id = $team_id)
  and ($am_id is null or am_id = $am_id)
order by day desc, am_name, am_id
limit $limit
