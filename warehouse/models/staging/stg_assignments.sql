-- stg_assignments: one row per change of a lead's owner or desk. Key: assignment_id.
with source as (
    select * from landing.assignments
),

typed as (
    select
        cast(id as bigint) as assignment_id,
        cast(lead_id as bigint) as lead_id,
        cast(from_am_id as integer) as from_am_id,
        cast(to_am_id as integer) as to_am_id,
        cast(from_desk as varchar) as from_desk,
        cast(to_desk as varchar) as to_desk,
        cast(by_id as integer) as by_id,
        cast(reason as varchar) as reason,
        cast(note as varchar) as note,
        try_cast(assigned_at as timestamptz) as assigned_at,
        try_cast(updated_at as timestamptz) as updated_at
    from source
),

final as (
    select
        *,
        case
            when assigned_at is null then 'assigned_at missing or not a time'
            when assigned_at > getvariable('future_after') then 'assigned_at in the future'
        end as quarantine_reason
    from typed
)

select * from final
