-- stg_staff: one row per staff member (AMs, managers, executives). Key: staff_id.
-- The password hash never reaches the warehouse.
with source as (
    select * from landing.staff
),

typed as (
    select
        cast(id as integer) as staff_id,
        cast(name as varchar) as staff_name,
        lower(cast(email as varchar)) as email,
        cast(role as varchar) as role,
        cast(desk as varchar) as desk,
        cast(team_id as integer) as team_id,
        cast(time_zone as varchar) as time_zone,
        cast(is_active as boolean) as is_active,
        try_cast(updated_at as timestamptz) as updated_at
    from source
),

final as (
    select
        *,
        case
            when role is null
                or role not in ('admin', 'sales_manager', 'lead_manager', 'account_manager', 'executive')
                then 'unknown role ' || coalesce(role, 'NULL')
            when desk not in ('conversion', 'retention') then 'unknown desk ' || desk
            when is_active is null then 'is_active missing or not true or false'
        end as quarantine_reason
    from typed
)

select * from final
