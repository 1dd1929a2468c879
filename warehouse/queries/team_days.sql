-- team_days: one row per day from $first_day to $last_day (inclusive) that the warehouse
-- holds, summed over the AMs of one team ($team_id) or one AM ($am_id) (NULL = all): the
-- sales dashboard's daily progress (call ratio per day).
with days as (
    select *
    from mart_agent_daily
    where day between $first_day and $last_day
      and ($team_id is null or team_id = $team_id)
      and ($am_id is null or am_id = $am_id)
),

final as (
    select
        day,
        sum(calls) as calls,
        sum(connected_calls) as connected_calls,
        case when sum(calls) > 0 then round(sum(connected_calls) / sum(calls), 4) end as call_ratio,
        sum(deposits) as deposits,
        sum(deposit_usd) as deposit_usd,
        sum(ftds) as ftds
    from days
    group by day
)

select * from final
order by day
