-- stg_platform_sessions: one row per login to the trading platform. Key: session_id.
with source as (
    select * from landing.platform_sessions
),

typed as (
    select
        cast(id as bigint) as session_id,
        cast(lead_id as bigint) as lead_id,
        try_cast(login_at as timestamptz) as login_at,
        try_cast(last_seen_at as timestamptz) as last_seen_at,
        try_cast(logout_at as timestamptz) as logout_at,
        cast(device as varchar) as device,
        try_cast(updated_at as timestamptz) as updated_at
    from source
),

final as (
    select
        *,
        case
            when login_at is null then 'login_at missing or not a time'
            when login_at > getvariable('future_after') then 'login_at in the future'
            when login_at < getvariable('past_before') then 'login_at before 2000'
            when last_seen_at is null then 'last_seen_at missing or not a time'
            when last_seen_at > getvariable('future_after') then 'last_seen_at in the future'
            when last_seen_at < login_at then 'last seen before login'
            when lead_id is null then 'lead_id missing or not a whole number'
            when logout_at not between getvariable('earliest') and getvariable('latest')
                then 'logout_at not a time'
        end as quarantine_reason
    from typed
)

select * from final
