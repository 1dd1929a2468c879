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
                then 'target period missing or reversed'
            when target_usd is null or target_usd < 0 then 'target amount missing or negative'
        end as quarantine_reason
    from typed
)

select * from final
