-- stg_audit_log: one row per change made through Starboard. Key: audit_id.
with source as (
    select * from landing.audit_log
),

typed as (
    select
        cast(id as bigint) as audit_id,
        cast(action_id as varchar) as action_id,
        cast(actor_id as integer) as actor_id,
        cast(action as varchar) as action,
        cast(lead_id as bigint) as lead_id,
        cast(before as varchar) as before_json,
        cast(after as varchar) as after_json,
        try_cast("at" as timestamptz) as acted_at,
        try_cast(updated_at as timestamptz) as updated_at
    from source
),

final as (
    select
        *,
        case
            when acted_at is null
                or acted_at not between getvariable('earliest') and getvariable('latest')
                then 'at missing or not a time'
        end as quarantine_reason
    from typed
)

select * from final
