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
            when queued_at < getvariable('past_before') then 'created_at before 2000'
            when template is null or template not in ('welcome', 'reach_you')
                then 'unknown template ' || coalesce(template, 'NULL')
            when status is null or status not in ('queued', 'sent', 'failed')
                then 'unknown status ' || coalesce(status, 'NULL')
            when lead_id is null then 'lead_id missing or not a whole number'
            when attempts is null then 'attempts missing or not a whole number'
            when sent_at not between getvariable('earliest') and getvariable('latest')
                then 'sent_at not a time'
        end as quarantine_reason
    from typed
)

select * from final
