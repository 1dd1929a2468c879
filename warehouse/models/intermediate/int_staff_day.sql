-- int_staff_day: one row per person per reporting day, from the first day any AM has figures
-- (int_agent_day, int_agent_day_assigned, int_activity_day) to the day of the run: the team and
-- desk the person had that day, and whether they were an AM at some moment of it. Key:
-- (staff_id, day). The team of a day is that of the day's last stretch as an AM (an AM promoted
-- at noon keeps the morning's team; one moved at noon counts for the new one); for someone not
-- an AM that day, that of the day's last stretch. mart_agent_daily and mart_activity_daily
-- credit each day to it.
with history as (
    select * from dim_staff_history
),

bounds as (
    select
        least(
            (select min(day) from int_agent_day),
            (select min(day) from int_agent_day_assigned),
            (select min(day) from int_activity_day)
        ) as first_day,
        reporting_day(getvariable('as_of')) as last_day
),

days as (
    select
        day,
        day_start(day) as starts_at,
        day_start(cast(day + 1 as date)) as ends_at
    from (
        select cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date) as day
        from bounds
        where first_day is not null
    )
),

stretches as (
    select
        history.staff_id,
        days.day,
        history.team_id,
        history.team_name,
        history.desk,
        history.role = 'account_manager' as is_am,
        history.valid_from
    from history
    join days
        on history.valid_from < days.ends_at and history.valid_to > days.starts_at
),

final as (
    select
        staff_id,
        day,
        team_id,
        team_name,
        desk,
        bool_or(is_am) over (partition by staff_id, day) as was_am
    from stretches
    qualify row_number() over (
        partition by staff_id, day order by is_am desc, valid_from desc
    ) = 1
)

select * from final
