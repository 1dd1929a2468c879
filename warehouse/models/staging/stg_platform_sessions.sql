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
            when last_seen_at < login_at then 'last seen before login'
        end as quarantine_reason
    from typed
)

select * from final
