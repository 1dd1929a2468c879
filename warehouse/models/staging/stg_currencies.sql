-- stg_currencies: one row per currency with its USD rate. Key: currency.
with source as (
    select * from landing.currencies
),

typed as (
    select
        upper(cast(code as varchar)) as currency,
        try_cast(usd_rate as decimal(18, 8)) as usd_rate,
        try_cast(updated_at as timestamptz) as updated_at
    from source
),

final as (
    select
        *,
        case
            when usd_rate is null or usd_rate <= 0 then 'USD rate missing or not positive'
        end as quarantine_reason
    from typed
)

select * from final
