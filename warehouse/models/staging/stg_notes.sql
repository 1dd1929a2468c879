-- stg_notes: one row per note on a lead. Key: note_id.
with source as (
    select * from landing.notes
),

typed as (
    select
        cast(id as bigint) as note_id,
        cast(lead_id as bigint) as lead_id,
        cast(author_id as integer) as author_id,
        cast(body as varchar) as body,
        try_cast(created_at as timestamptz) as created_at,
        try_cast(updated_at as timestamptz) as updated_at
    from source
),

final as (
    select
        *,
        case
            when created_at is null then 'created_at missing or not a time'
            when created_at > getvariable('future_after') then 'created_at in the future'
            when created_at < getvariable('past_before') then 'created_at before 2000'
            when lead_id is null then 'lead_id missing or not a whole number'
            when author_id is null then 'author_id missing or not a whole number'
        end as quarantine_reason
    from typed
)

select * from final
