-- stg_currencies: one row per currency with its USD rate. Key: currency.
with source as (
    select * from landing.currencies
),

typed as (
    select
        cast(code as varchar) as currency,
        try_cast(usd_rate as decimal(18, 8)) as usd_rate,
        try_cast(updated_at as timestamptz) as updated_at
    from source
),

final as (
    select
        *,
        case
            -- Lower case would meet the upper case of the leads' and deposits' currencies
            -- (ISO codes) and count as the same currency twice.
            when not regexp_full_match(coalesce(currency, ''), '[A-Z]{3}')
                then 'currency code ' || coalesce(currency, 'NULL') || ' is not three capital letters'
            when usd_rate is null or usd_rate <= 0 then 'USD rate missing or not positive'
        end as quarantine_reason
    from typed
)

select * from final
