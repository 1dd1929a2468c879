-- dim_staff_history: one row per stretch of time a person had one role, desk, team and active
-- flag: from valid_from (included) to valid_to (excluded; 9999-12-31 while it lasts). Key:
-- (staff_id, valid_from). The stretches of a person cover all time without a gap, so every
-- moment finds exactly one: a person's first stretch reaches back to the beginning (a demo's or
-- an import's staff were made after the calls they are credited with), and a person with no
-- history in the CRM (made by a writer that keeps none) is as they are now, always.
with staff as (
    select * from stg_staff
),

recorded as (
    select staff_id, role, desk, team_id, is_active, valid_from, history_id
    from stg_staff_history
    semi join staff using (staff_id)
),

unrecorded as (
    select
        staff_id, role, desk, team_id, is_active, getvariable('earliest') as valid_from,
        null as history_id
    from staff
    anti join recorded using (staff_id)
),

stretches as (
    select * from recorded
    union all
    select * from unrecorded
),

-- Each stretch lasts until the next one starts (a closed row's valid_to is the next one's
-- valid_from; computing it so leaves no gap or overlap whatever the CRM's rows say).
bounded as (
    select
        staff_id,
        role,
        desk,
        team_id,
        is_active,
        case when row_number() over (partition by staff_id order by valid_from, history_id) = 1
            then getvariable('earliest') else valid_from end as valid_from,
        coalesce(
            lead(valid_from) over (partition by staff_id order by valid_from, history_id),
            getvariable('latest')
        ) as valid_to
    from stretches
),

final as (
    select
        bounded.*,
        teams.team_name
    from bounded
    left join dim_teams as teams using (team_id)
)

select * from final
