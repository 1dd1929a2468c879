-- agents_in_range: one row per AM over the days from $first_day to $last_day (inclusive),
-- optionally one team ($team_id) or one AM ($am_id) (NULL = all): the sales dashboard's
-- per-AM table.
select
    am_id,
    -- The name with what the AM is now when no longer an AM in that team ("(now sales
    -- manager)"), and the AM's team on the range's last day.
    arg_max(am_label, day) as am_name,
    arg_max(team_name, day) as team_name,
    sum(calls) as calls,
    sum(connected_calls) as connected_calls,
    case when sum(calls) > 0 then round(sum(connected_calls) / sum(calls), 4) end as call_ratio,
    sum(talk_seconds) as talk_seconds,
    sum(deposits) as deposits,
    sum(deposit_usd) as deposit_usd,
    sum(ftds) as ftds,
    sum(failed_deposits) as failed_deposits,
    sum(assigned_leads) as assigned_leads
from mart_agent_daily
where day between $first_day and $last_day
  and ($team_id is null or team_id = $team_id)
  and ($am_id is null or am_id = $am_id)
group by am_id
order by deposit_usd desc, connected_calls desc
