-- target_board: each AM's target whose period runs on $day (a reporting day), optionally of one team
-- ($team_id) or one AM ($am_id) (NULL = all), with the deposits recorded against it and the
-- days left in the period after $day, and the pace: the share of the target expected by $now
-- (working days and hours of the period gone: the macro expected_share) beside the share
-- reached (progress); furthest along first.
select
    am_id,
    am_name,
    team_name,
    period_start,
    period_end,
    target_usd,
    recorded_usd,
    progress,
    recorded_deposits,
    target_ftds,
    recorded_ftds,
    date_diff('day', $day, period_end) as days_left,
    round(expected_share(period_start, period_end, $now), 4) as expected_progress
from mart_target_board
where $day between period_start and period_end
  and ($team_id is null or team_id = $team_id)
  and ($am_id is null or am_id = $am_id)
order by progress desc nulls last, am_name, am_id
