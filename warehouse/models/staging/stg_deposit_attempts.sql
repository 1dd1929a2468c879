-- stg_deposit_attempts: one row per deposit attempt, approved or not. Key: deposit_id.
with source as (
    select * from landing.deposit_attempts
),

typed as (
    select
        cast(id as bigint) as deposit_id,
        cast(lead_id as bigint) as lead_id,
        cast(am_id as integer) as am_id,
        try_cast(amount as decimal(18, 2)) as amount,
        upper(cast(currency as varchar)) as currency,
        try_cast(amount_usd as decimal(18, 2)) as amount_usd,
        cast(method as varchar) as method,
        cast(provider as varchar) as provider,
        cast(status as varchar) as status,
        cast(decline_reason as varchar) as decline_reason,
        try_cast(decided_at as timestamptz) as decided_at,
        cast(is_self_deposit as boolean) as is_self_deposit,
        cast(is_ftd as boolean) as is_ftd,
        try_cast(created_at as timestamptz) as created_at,
        try_cast(updated_at as timestamptz) as updated_at
    from source
),

final as (
    select
        *,
        case
            when amount is null or amount <= 0 then 'amount missing or not positive'
            when amount_usd is null or amount_usd < 0 then 'USD amount missing or negative'
            -- Beyond any deposit: two such would overflow the sums of a day (DECIMAL(18,2)).
            when amount_usd > 1000000000 then 'USD amount over 1,000,000,000'
            -- Any currency the CRM lists (see stg_leads).
            when currency not in (
                select currency from stg_currencies
                union all select row_key from quarantine where table_name = 'currencies'
            ) then 'unknown currency ' || coalesce(currency, 'NULL')
            when created_at is null then 'created_at missing or not a time'
            when created_at > getvariable('future_after') then 'created_at in the future'
            when created_at < getvariable('past_before') then 'created_at before 2000'
            when method is null or method not in ('card', 'wire', 'e_wallet', 'crypto')
                then 'unknown method ' || coalesce(method, 'NULL')
            when status is null
                or status not in ('approved', 'declined', 'pending', 'refunded', 'charged_back')
                then 'unknown status ' || coalesce(status, 'NULL')
            when lead_id is null then 'lead_id missing or not a whole number'
            when is_self_deposit is null then 'is_self_deposit missing or not true or false'
            when is_ftd is null then 'is_ftd missing or not true or false'
        end as quarantine_reason
    from typed
)

select * from final
