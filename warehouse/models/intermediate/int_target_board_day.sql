-- maintained: additive (am_id, day)
-- int_target_board_day: one row per AM per reporting day on which deposits recorded on the AM's
-- target board were made: how many, their amounts, how many were FTDs. Key: (am_id, day).
-- mart_target_board sums these days over each target's period.
--
-- The board joins entries to their deposits, and either side may change. The join's change is
-- (changed entries ⋈ deposits) + (entries ⋈ changed deposits) - (changed entries ⋈ changed
-- deposits): "changed" is a fact's changes (old versions -1, new +1), the others are the facts
-- as they are now, and a joined row weighs the product of its signs. On a full run the changes
-- are every row with +1, so the three parts are the same join and the last two cancel: the
-- rebuild keeps only the first (the others are `changed only`).
--
-- An entry counts its deposit as the deposit is now (mart_payments): approved, at its amount
-- now, on the day it was approved, an FTD by the warehouse's rule. A reversal or a corrected
-- amount moves the board; an entry whose deposit is not (or no longer) approved counts nothing.
with joined as (
    select entries.sign, entries.am_id, deposits.amount_usd, deposits.counted_at,
        deposits.is_ftd, deposits.status
    from changes_fct_target_board_entries as entries
    join mart_payments as deposits using (deposit_id)
    union all  -- changed only
    select deposits.sign, entries.am_id, deposits.amount_usd, deposits.counted_at,  -- changed only
        deposits.is_ftd, deposits.status  -- changed only
    from fct_target_board_entries as entries  -- changed only
    join changes_mart_payments as deposits using (deposit_id)  -- changed only
    union all  -- changed only
    select -entries.sign * deposits.sign, entries.am_id, deposits.amount_usd,  -- changed only
        deposits.counted_at, deposits.is_ftd, deposits.status  -- changed only
    from changes_fct_target_board_entries as entries  -- changed only
    join changes_mart_payments as deposits using (deposit_id)  -- changed only
),

final as (
    select
        am_id,
        reporting_day(counted_at) as day,
        cast(sum(sign) as bigint) as recorded_deposits,
        cast(coalesce(sum(sign * amount_usd), 0) as decimal(18, 2)) as recorded_usd,
        cast(coalesce(sum(sign) filter (where is_ftd), 0) as bigint) as recorded_ftds,
        -- How many board entries the key sums: the key goes when it reaches 0.
        cast(sum(sign) as bigint) as fact_rows
    from joined
    where status = 'approved'
    group by all
)

select * from final
