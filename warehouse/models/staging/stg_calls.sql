-- stg_calls: one row per call an AM made. Key: call_id.
with source as (
    select * from landing.calls
),

typed as (
    select
        cast(id as bigint) as call_id,
        cast(lead_id as bigint) as lead_id,
        cast(am_id as integer) as am_id,
        try_cast(started_at as timestamptz) as started_at,
        try_cast(duration_s as integer) as duration_s,
        cast(outcome as varchar) as outcome,
        try_cast(updated_at as timestamptz) as updated_at
    from source
),

final as (
    select
        *,
        case
            when started_at is null then 'started_at missing or not a time'
            when started_at > getvariable('future_after') then 'started_at in the future'
            when started_at < getvariable('past_before') then 'started_at before 2000'
            when duration_s is null or duration_s < 0 then 'duration missing or negative'
            when outcome is null
                or outcome not in ('connected', 'no_answer', 'busy', 'voicemail', 'wrong_number')
                then 'unknown outcome ' || coalesce(outcome, 'NULL')
            when lead_id is null then 'lead_id missing or not a whole number'
            when am_id is null then 'am_id missing or not a whole number'
        end as quarantine_reason
    from typed
)

select * from final
