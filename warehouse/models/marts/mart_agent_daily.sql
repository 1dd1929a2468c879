-- mart_agent_daily: one row per AM per reporting day (the floor's calendar day), every day from the first day with
-- data to the day of the run, zeros where nothing happened. Key: (am_id, day).
with account_managers as (
    select staff_id as am_id, staff_name as am_name, team_id, team_name, desk, is_active
    from dim_staff
    where role = 'account_manager'
),

activity as (
    select * from int_agent_day
    -- A day whose rows were all taken back (deleted calls) starts nothing.
    where calls <> 0 or deposits <> 0 or failed_deposits <> 0
),

assigned as (
    select * from int_agent_day_assigned
),

bounds as (
    select
        least((select min(day) from activity), (select min(day) from assigned)) as first_day,
        reporting_day(getvariable('as_of')) as last_day
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
        account_managers.desk,
        account_managers.is_active,
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
    from account_managers
    cross join days
    left join activity using (am_id, day)
    left join assigned using (am_id, day)
)

select * from final
order by day, am_id
