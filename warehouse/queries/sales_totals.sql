-- sales_totals: one row, the sales floor's totals over the days from $first_day to $last_day
-- (inclusive), optionally one team ($team_id) or one AM ($am_id) (NULL = all): the sales
-- dashboard's KPI tiles.
-- Deposits are those attributed to an AM (mart_agent_daily).
with days as (
    select *
    from mart_agent_daily
    where day between $first_day and $last_day
      and ($team_id is null or team_id = $team_id)
      and ($am_id is null or am_id = $am_id)
),

final as (
    select
        coalesce(sum(calls), 0) as calls,
        coalesce(sum(connected_calls), 0) as connected_calls,
        case when sum(calls) > 0 then round(sum(connected_calls) / sum(calls), 4) end as call_ratio,
        coalesce(sum(deposits), 0) as deposits,
        coalesce(sum(deposit_usd), 0) as deposit_usd,
        coalesce(sum(ftds), 0) as ftds
    from days
)

select * from final
