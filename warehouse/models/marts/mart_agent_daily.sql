-- mart_agent_daily: one row per AM per reporting day (UTC), every day from the first day with
-- data to the day of the run, zeros where nothing happened. Key: (am_id, day).
with account_managers as (
    select staff_id as am_id, staff_name as am_name, team_id, team_name, desk, is_active
    from dim_staff
    where role = 'account_manager'
),

calls as (
    select
        am_id,
        cast(started_at as date) as day,
        count(*) as calls,
        count(*) filter (where outcome = 'connected') as connected_calls,
        coalesce(sum(duration_s) filter (where outcome = 'connected'), 0) as talk_seconds
    from fct_calls
    group by all
),

deposits as (
    select
        am_id,
        cast(created_at as date) as day,
        count(*) filter (where status = 'approved') as deposits,
        coalesce(sum(amount_usd) filter (where status = 'approved'), 0) as deposit_usd,
        count(*) filter (where status = 'approved' and is_ftd) as ftds,
        count(*) filter (where status = 'declined') as failed_deposits
    from fct_deposit_attempts
    where am_id is not null
    group by all
),

assigned as (
    select
        to_am_id as am_id,
        cast(assigned_at as date) as day,
        count(distinct lead_id) as assigned_leads
    from fct_assignments
    group by all
),

bounds as (
    select
        least(
            (select min(day) from calls), (select min(day) from deposits),
            (select min(day) from assigned)
        ) as first_day,
        cast(getvariable('as_of') as date) as last_day
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
        coalesce(calls.calls, 0) as calls,
        coalesce(calls.connected_calls, 0) as connected_calls,
        case when calls.calls > 0
            then round(calls.connected_calls / calls.calls, 4) end as call_ratio,
        coalesce(calls.talk_seconds, 0) as talk_seconds,
        coalesce(deposits.deposits, 0) as deposits,
        cast(coalesce(deposits.deposit_usd, 0) as decimal(18, 2)) as deposit_usd,
        coalesce(deposits.ftds, 0) as ftds,
        coalesce(deposits.failed_deposits, 0) as failed_deposits,
        coalesce(assigned.assigned_leads, 0) as assigned_leads
    from account_managers
    cross join days
    left join calls using (am_id, day)
    left join deposits using (am_id, day)
    left join assigned using (am_id, day)
)

select * from final
order by day, am_id
