-- mart_agent_daily: one row per AM per reporting day (the floor's calendar day), every day from
-- the first day with data to the day of the run, zeros where nothing happened. Key:
-- (am_id, day). A row for each person who was an AM at some moment of the day, and for anyone
-- with calls, deposits or assignments that day (an AM since promoted, moved or deactivated
-- keeps their past), so the AMs' rows of a day add up to the floor's. The team and desk are
-- the AM's of that day (int_staff_day); the name, am_label, is_active,
-- role_now and team_name_now are as now.
with staff as (
    select staff_id as am_id, staff_name as am_name, role, team_id, team_name, is_active
    from dim_staff
),

activity as (
    select * from int_agent_day
    -- A day whose rows were all taken back (deleted calls) starts nothing.
    where calls <> 0 or deposits <> 0 or failed_deposits <> 0
),

assigned as (
    select * from int_agent_day_assigned
),

first_day as (
    select least((select min(day) from activity), (select min(day) from assigned)) as day
),

staff_days as (
    select * from int_staff_day
    where day >= (select day from first_day)
),

-- The people an AM at some moment of the day, and those with figures that day.
am_days as (
    select staff_id as am_id, day from staff_days where was_am
    union
    select am_id, day from activity
    union
    select am_id, day from assigned
),

as_then as (
    select am_days.am_id, am_days.day, staff_days.team_id, staff_days.team_name, staff_days.desk
    from am_days
    join staff_days on staff_days.staff_id = am_days.am_id and staff_days.day = am_days.day
),

final as (
    select
        as_then.am_id,
        as_then.day,
        staff.am_name,
        am_label(
            staff.am_name, staff.is_active, staff.role, staff.team_id, staff.team_name,
            as_then.team_id
        ) as am_label,
        as_then.team_id,
        as_then.team_name,
        as_then.desk,
        staff.is_active,
        staff.role as role_now,
        staff.team_name as team_name_now,
        coalesce(activity.calls, 0) as calls,
        coalesce(activity.connected_calls, 0) as connected_calls,
        case when activity.calls > 0
            then round(activity.connected_calls / activity.calls, 4) end as call_ratio,
        coalesce(activity.talk_seconds, 0) as talk_seconds,
        coalesce(activity.deposits, 0) as deposits,
        cast(coalesce(activity.deposit_usd, 0) as decimal(18, 2)) as deposit_usd,
        coalesce(activity.ftds, 0) as ftds,
        coalesce(activity.failed_deposits, 0) as failed_deposits,
        coalesce(assigned.assigned_leads, 0) as assigned_leads
    from as_then
    join staff on staff.am_id = as_then.am_id
    left join activity on activity.am_id = as_then.am_id and activity.day = as_then.day
    left join assigned on assigned.am_id = as_then.am_id and assigned.day = as_then.day
)

select * from final
order by day, am_id
