-- stg_am_targets: one row per AM per target period. Key: target_id.
with source as (
    select * from landing.am_targets
),

typed as (
    select
        cast(id as integer) as target_id,
        cast(am_id as integer) as am_id,
        try_cast(period_start as date) as period_start,
        try_cast(period_end as date) as period_end,
        try_cast(target_usd as decimal(18, 2)) as target_usd,
        cast(target_ftds as integer) as target_ftds,
        try_cast(updated_at as timestamptz) as updated_at
    from source
),

final as (
    select
        *,
        case
            when period_start is null or period_end is null or period_end < period_start
                or period_start < date '0001-01-01' or period_end > date '9999-12-31'
                then 'target period missing, reversed or endless'
            when target_usd is null or target_usd < 0 then 'target amount missing or negative'
            when target_usd > 1000000000 then 'target amount over 1,000,000,000 USD'
            when target_ftds is null then 'target_ftds missing or not a whole number'
            when am_id is null then 'am_id missing or not a whole number'
        end as quarantine_reason
    from typed
)

select * from final
