-- dim_staff: one row per staff member, with the team they sit in. Key: staff_id.
with staff as (
    select * from stg_staff
),

teams as (
    select * from dim_teams
),

final as (
    select
        staff.staff_id,
        staff.staff_name,
        staff.email,
        staff.role,
        staff.desk,
        staff.team_id,
        teams.team_name,
        staff.time_zone,
        staff.is_active
    from staff
    left join teams using (team_id)
)

select * from final
