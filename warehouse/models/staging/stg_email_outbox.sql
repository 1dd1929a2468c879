-- stg_email_outbox: one row per client e-mail, queued, sent or failed. Key: email_id.
-- The body stays in the CRM: reports need what was sent and when, not the text.
with source as (
    select * from landing.email_outbox
),

typed as (
    select
        cast(id as bigint) as email_id,
        cast(lead_id as bigint) as lead_id,
        cast(template as varchar) as template,
        cast(status as varchar) as status,
        cast(attempts as integer) as attempts,
        cast(last_error as varchar) as last_error,
        try_cast(created_at as timestamptz) as queued_at,
        try_cast(sent_at as timestamptz) as sent_at,
        try_cast(updated_at as timestamptz) as updated_at
    from source
),

final as (
    select
        *,
        case
            when queued_at is null then 'created_at missing or not a time'
            when queued_at > getvariable('future_after') then 'created_at in the future'
        end as quarantine_reason
    from typed
)

select * from final
