-- stg_teams: one row per team. Key: team_id.
with source as (
    select * from landing.teams
),

typed as (
    select
        cast(id as integer) as team_id,
        cast(name as varchar) as team_name,
        cast(desk as varchar) as desk,
        try_cast(updated_at as timestamptz) as updated_at
    from source
),

final as (
    select
        *,
        case
            when desk is null or desk not in ('conversion', 'retention')
                then 'unknown desk ' || coalesce(desk, 'NULL')
        end as quarantine_reason
    from typed
)

select * from final
