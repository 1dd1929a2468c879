-- calls_by_hour: 24 rows, one per hour of the reporting day that began at $day_start (UTC),
-- optionally of one team ($team_id) or one AM ($am_id) (NULL = all AMs): the calls the
-- account managers made in that hour today, up to $now (NULL for the hours still to come), and
-- on a typical day: the mean over the earlier days that began at $before (a list, e.g. the
-- same weekday in each of the 4 weeks before), each day's calls counted in its own 24 hours.
with account_managers as (
    select staff_id as am_id
    from dim_staff
    where role = 'account_manager'
      and ($team_id is null or team_id = $team_id)
      and ($am_id is null or staff_id = $am_id)
),

calls as (
    select occurred_at
    from mart_activity_log
    where kind = 'call'
      and occurred_at >= least($day_start, list_min($before))
      and occurred_at < greatest($day_start, list_max($before)) + interval 1 day
      and am_id in (select am_id from account_managers)
),

earlier_days as (
    select unnest($before) as day_start
),

typical as (
    select
        cast(floor(epoch(calls.occurred_at - earlier_days.day_start) / 3600) as integer)
            as hour,
        count(*) / len($before) as typical_calls
    from calls
    join earlier_days
      on calls.occurred_at >= earlier_days.day_start
     and calls.occurred_at < earlier_days.day_start + interval 1 day
    group by hour
),

today as (
    select
        cast(floor(epoch(occurred_at - $day_start) / 3600) as integer) as hour,
        count(*) as calls
    from calls
    where occurred_at >= $day_start and occurred_at < $now
    group by hour
),

hours as (
    select cast(unnest(range(0, 24)) as integer) as hour
),

final as (
    select
        hours.hour,
        case when $day_start + hours.hour * interval 1 hour < $now
            then coalesce(today.calls, 0) end as calls,
        coalesce(typical.typical_calls, 0) as typical_calls
    from hours
    left join today using (hour)
    left join typical using (hour)
)

select * from final
order by hour
