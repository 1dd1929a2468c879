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
            when assigned_at < getvariable('past_before') then 'assigned_at before 2000'
            when reason is null or reason not in (
                'new_lead', 'follow_up', 'failed_deposit', 'upsale', 'retention', 'reassignment',
                'auto'
            ) then 'unknown reason ' || coalesce(reason, 'NULL')
            when to_desk is null or to_desk not in ('conversion', 'retention')
                then 'unknown desk ' || coalesce(to_desk, 'NULL')
            when from_desk not in ('conversion', 'retention') then 'unknown desk ' || from_desk
            when lead_id is null then 'lead_id missing or not a whole number'
            when to_am_id is null then 'to_am_id missing or not a whole number'
        end as quarantine_reason
    from typed
)

select * from final
