-- stg_staff_history: one row per stretch of time a person had one role, desk, team and active
-- flag (valid_to NULL: still has). Key: history_id.
with source as (
    select * from landing.staff_history
),

typed as (
    select
        cast(id as integer) as history_id,
        cast(staff_id as integer) as staff_id,
        cast(role as varchar) as role,
        cast(desk as varchar) as desk,
        cast(team_id as integer) as team_id,
        cast(is_active as boolean) as is_active,
        try_cast(valid_from as timestamptz) as valid_from,
        try_cast(valid_to as timestamptz) as valid_to,
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
            when is_active is null then 'is_active missing or not true or false'
            when valid_from is null then 'valid_from missing or not a time'
            when valid_to < valid_from then 'valid_to before valid_from'
        end as quarantine_reason
    from typed
)

select * from final
