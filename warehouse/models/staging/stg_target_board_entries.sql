-- stg_target_board_entries: one row per deposit recorded on an AM's target board. Key: entry_id.
with source as (
    select * from landing.target_board_entries
),

typed as (
    select
        cast(id as bigint) as entry_id,
        cast(am_id as integer) as am_id,
        cast(deposit_id as bigint) as deposit_id,
        try_cast(amount_usd as decimal(18, 2)) as amount_usd,
        cast(recorded_by_id as integer) as recorded_by_id,
        try_cast(recorded_at as timestamptz) as recorded_at,
        try_cast(updated_at as timestamptz) as updated_at
    from source
),

final as (
    select
        *,
        case
            when amount_usd is null or amount_usd <= 0 then 'amount missing or not positive'
            when amount_usd > 1000000000 then 'amount over 1,000,000,000 USD'
            when recorded_at is null then 'recorded_at missing or not a time'
            when am_id is null then 'am_id missing or not a whole number'
            when deposit_id is null then 'deposit_id missing or not a whole number'
            when recorded_at > getvariable('future_after') then 'recorded_at in the future'
            when recorded_at < getvariable('past_before') then 'recorded_at before 2000'
        end as quarantine_reason
    from typed
)

select * from final
