-- am_today: one row per AM on the reporting day $day (which began at $day_start, UTC),
-- optionally one team ($team_id) or one AM ($am_id) (NULL = all): the sales dashboard's "who is
-- behind today" table. The day's calls, connected calls, talk time and credited deposits
-- (mart_agent_daily, as the rest of the page counts them), the start of the AM's latest call
-- of the day, the starred leads the AM owns and how many of them nobody has called since
-- $day_start, and the pace against target at $now: the share reached of the targets whose
-- period runs on $day beside the share expected by now (the macro expected_share, weighted by
-- each target's USD, as target_totals.sql does for a team). An AM no longer active is listed
-- only when the day holds something of theirs.
with account_managers as (
    select *
    from mart_agent_daily
    where day = $day
      and ($team_id is null or team_id = $team_id)
      and ($am_id is null or am_id = $am_id)
),

last_calls as (
    select am_id, max(occurred_at) as last_call_at
    from mart_activity_log
    where kind = 'call' and occurred_at >= $day_start
      and am_id in (select am_id from account_managers)
    group by am_id
),

starred as (
    select
        am_id,
        count(*) as starred,
        count(*) filter (where last_call_at is null or last_call_at < $day_start)
            as starred_not_called
    from mart_lead_priority
    where is_starred and am_id in (select am_id from account_managers)
    group by am_id
),

targets as (
    select
        am_id,
        min(period_start) as target_start,
        max(period_end) as target_end,
        sum(target_usd) as target_usd,
        sum(recorded_usd) as recorded_usd,
        case when sum(target_usd) > 0 then round(sum(recorded_usd) / sum(target_usd), 4) end
            as progress,
        case when sum(target_usd) > 0
            then round(sum(target_usd * expected_share(period_start, period_end, $now))
                / sum(target_usd), 4) end as expected_progress
    from mart_target_board
    where $day between period_start and period_end
      and am_id in (select am_id from account_managers)
    group by am_id
),

final as (
    select
        account_managers.am_id,
        account_managers.am_name,
        account_managers.team_id,
        account_managers.team_name,
        account_managers.calls,
        account_managers.connected_calls,
        account_managers.call_ratio,
        account_managers.talk_seconds,
        account_managers.deposits,
        account_managers.deposit_usd,
        account_managers.ftds,
        last_calls.last_call_at,
        coalesce(starred.starred, 0) as starred,
        coalesce(starred.starred_not_called, 0) as starred_not_called,
        targets.target_start,
        targets.target_end,
        targets.target_usd,
        targets.recorded_usd,
        targets.progress,
        targets.expected_progress
    from account_managers
    left join last_calls using (am_id)
    left join starred using (am_id)
    left join targets using (am_id)
    where account_managers.is_active
       or account_managers.calls > 0
       or account_managers.deposits > 0
)

select * from final
order by team_name nulls last, am_name, am_id
