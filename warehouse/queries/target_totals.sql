-- target_totals: one row, the targets whose period runs on $day (a reporting day), optionally of one
-- team ($team_id) or one AM ($am_id) (NULL = all): their sum, what was recorded against them,
-- and the progress (recorded / target; NULL when the targets add up to 0), beside the progress
-- expected by $now (each target's expected_share, weighted by its USD).
select
    count(*) as targets,
    coalesce(sum(target_usd), 0) as target_usd,
    coalesce(sum(recorded_usd), 0) as recorded_usd,
    case when sum(target_usd) > 0 then round(sum(recorded_usd) / sum(target_usd), 4) end
        as progress,
    case when sum(target_usd) > 0
        then round(sum(target_usd * expected_share(period_start, period_end, $now))
            / sum(target_usd), 4) end as expected_progress
from mart_target_board
where $day between period_start and period_end
  and ($team_id is null or team_id = $team_id)
  and ($am_id is null or am_id = $am_id)
