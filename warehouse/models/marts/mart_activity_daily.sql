-- mart_activity_daily: one row per AM per reporting day (the floor's calendar day), every day
-- from the first day with activity to the day of the run, zeros where the AM did nothing (F10).
-- Sums of mart_activity_log. Key: (am_id, day). As mart_agent_daily: a row for each person who
-- was an AM at some moment of the day and for anyone with activity that day, in the team of
-- that day (int_staff_day); the name and am_label as now.
with staff as (
    select staff_id as am_id, staff_name as am_name, role, team_id, team_name, is_active
    from dim_staff
),

events as (
    select * from int_activity_day
    -- A day whose events were all taken back starts nothing.
    where calls <> 0 or emails <> 0 or notes <> 0 or assignments <> 0
),

first_day as (
    select min(day) as day from events
),

staff_days as (
    select * from int_staff_day
    where day >= (select day from first_day)
),

am_days as (
    select staff_id as am_id, day from staff_days where was_am
    union
    select am_id, day from events
),

final as (
    select
        am_days.am_id,
        am_days.day,
        staff.am_name,
        am_label(
            staff.am_name, staff.is_active, staff.role, staff.team_id, staff.team_name,
            staff_days.team_id
        ) as am_label,
        staff_days.team_id,
        staff_days.team_name,
        coalesce(events.calls, 0) as calls,
        coalesce(events.connected_calls, 0) as connected_calls,
        coalesce(events.emails, 0) as emails,
        coalesce(events.notes, 0) as notes,
        coalesce(events.assignments, 0) as assignments
    from am_days
    join staff_days on staff_days.staff_id = am_days.am_id and staff_days.day = am_days.day
    join staff on staff.am_id = am_days.am_id
    left join events on events.am_id = am_days.am_id and events.day = am_days.day
)

select * from final
order by day, am_id
