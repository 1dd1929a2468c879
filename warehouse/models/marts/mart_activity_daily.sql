-- mart_activity_daily: one row per AM per reporting day (the floor's calendar day), every day from the first day
-- with activity to the day of the run, zeros where the AM did nothing (F10). Sums of
-- mart_activity_log. Key: (am_id, day).
with account_managers as (
    select staff_id as am_id, staff_name as am_name, team_id, team_name
    from dim_staff
    where role = 'account_manager'
),

events as (
    select * from int_activity_day
    -- A day whose events were all taken back starts nothing.
    where calls <> 0 or emails <> 0 or notes <> 0 or assignments <> 0
),

bounds as (
    select (select min(day) from events) as first_day, reporting_day(getvariable('as_of')) as last_day
),

days as (
    select cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date) as day
    from bounds
    where first_day is not null
),

final as (
    select
        account_managers.am_id,
        days.day,
        account_managers.am_name,
        account_managers.team_id,
        account_managers.team_name,
        coalesce(events.calls, 0) as calls,
        coalesce(events.connected_calls, 0) as connected_calls,
        coalesce(events.emails, 0) as emails,
        coalesce(events.notes, 0) as notes,
        coalesce(events.assignments, 0) as assignments
    from account_managers
    cross join days
    left join events using (am_id, day)
)

select * from final
order by day, am_id
