-- stg_support_tickets: one row per support ticket. Key: ticket_id.
with source as (
    select * from landing.support_tickets
),

typed as (
    select
        cast(id as bigint) as ticket_id,
        cast(lead_id as bigint) as lead_id,
        cast(owner_id as integer) as owner_id,
        cast(subject as varchar) as subject,
        cast(priority as varchar) as priority,
        cast(status as varchar) as status,
        try_cast(opened_at as timestamptz) as opened_at,
        try_cast(closed_at as timestamptz) as closed_at,
        try_cast(updated_at as timestamptz) as updated_at
    from source
),

final as (
    select
        *,
        case
            when opened_at is null then 'opened_at missing or not a time'
            when opened_at > getvariable('future_after') then 'opened_at in the future'
            when opened_at < getvariable('past_before') then 'opened_at before 2000'
            when priority is null or priority not in ('low', 'normal', 'high', 'urgent')
                then 'unknown priority ' || coalesce(priority, 'NULL')
            when status is null or status not in ('open', 'pending', 'closed')
                then 'unknown status ' || coalesce(status, 'NULL')
            when lead_id is null then 'lead_id missing or not a whole number'
            when closed_at not between getvariable('earliest') and getvariable('latest')
                then 'closed_at not a time'
        end as quarantine_reason
    from typed
)

select * from final
