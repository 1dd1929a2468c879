-- stg_leads: one row per lead, typed and checked. Key: lead_id.
with source as (
    select * from landing.leads
),

typed as (
    select
        cast(id as bigint) as lead_id,
        trim(cast(first_name as varchar)) as first_name,
        trim(cast(last_name as varchar)) as last_name,
        lower(trim(cast(email as varchar))) as email,
        trim(cast(phone as varchar)) as phone,
        upper(cast(country as varchar)) as country,
        -- A zone DuckDB does not know would fail, for everyone, every query that asks a
        -- lead's local time: the lead is kept, its zone unknown (NULL) and so its local time
        -- (warehouse/README.md). A blank zone is UTC, as at the end of shift (crm/shift.py).
        case
            when trim(cast(time_zone as varchar)) = '' then 'UTC'
            when cast(time_zone as varchar) in (select name from pg_timezone_names())
                then cast(time_zone as varchar)
        end as time_zone,
        cast(language as varchar) as language,
        cast(source as varchar) as source,
        cast(campaign as varchar) as campaign,
        try_cast(registered_at as timestamptz) as registered_at,
        cast(status as varchar) as status,
        cast(desk as varchar) as desk,
        cast(am_id as integer) as am_id,
        cast(is_starred as boolean) as is_starred,
        cast(starred_by_id as integer) as starred_by_id,
        try_cast(starred_at as timestamptz) as starred_at,
        cast(priority as varchar) as priority,
        try_cast(callback_at as timestamptz) as callback_at,
        cast(compliance_status as varchar) as compliance_status,
        try_cast(balance as decimal(18, 2)) as balance,
        upper(cast(currency as varchar)) as currency,
        try_cast(ftd_at as timestamptz) as ftd_at,
        try_cast(last_login_at as timestamptz) as last_login_at,
        cast(version as integer) as version,
        try_cast(updated_at as timestamptz) as updated_at
    from source
),

final as (
    select
        *,
        case
            when not regexp_full_match(coalesce(email, ''), '[^@\s]+@[^@\s]+\.[a-z]{2,}')
                then 'malformed email ' || coalesce(email, 'NULL')
            when not regexp_full_match(coalesce(phone, ''), '\+?[0-9][0-9 ()\-]{5,20}')
                then 'malformed phone ' || coalesce(phone, 'NULL')
            when registered_at is null then 'registered_at missing or not a time'
            when registered_at > getvariable('future_after') then 'registered_at in the future'
            when registered_at < getvariable('past_before') then 'registered_at before 2000'
            when balance is null then 'balance missing or not a number'
            -- Any currency the CRM lists, its USD rate usable or not (then only the lead's
            -- balance in USD is unknown).
            when currency not in (
                select currency from stg_currencies
                union all select row_key from quarantine where table_name = 'currencies'
            ) then 'unknown currency ' || coalesce(currency, 'NULL')
            when status is null or status not in (
                'new', 'assigned', 'contacted', 'follow_up', 'converted', 'retention', 'lost'
            ) then 'unknown status ' || coalesce(status, 'NULL')
            when desk is null or desk not in ('conversion', 'retention')
                then 'unknown desk ' || coalesce(desk, 'NULL')
            when priority is null or priority not in ('normal', 'high')
                then 'unknown priority ' || coalesce(priority, 'NULL')
            when compliance_status is null
                or compliance_status not in ('not_started', 'pending', 'approved', 'rejected')
                then 'unknown compliance status ' || coalesce(compliance_status, 'NULL')
            when is_starred is null then 'is_starred missing or not true or false'
            when version is null then 'version missing or not a whole number'
            when starred_at not between getvariable('earliest') and getvariable('latest')
                then 'starred_at not a time'
            when callback_at not between getvariable('earliest') and getvariable('latest')
                then 'callback_at not a time'
            when ftd_at not between getvariable('earliest') and getvariable('latest')
                then 'ftd_at not a time'
            when last_login_at not between getvariable('earliest') and getvariable('latest')
                then 'last_login_at not a time'
        end as quarantine_reason
    from typed
)

select * from final
