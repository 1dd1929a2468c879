-- deposit_credit: the approved deposits of the days from $first_day to $last_day (reporting
-- days, inclusive, each on the day it was approved) split by credit: those credited to an AM (the
-- lead's owning AM at the time of the deposit, as the CRM recorded it on the attempt) and
-- those credited to no AM (self deposits). Two rows, in that order: their sum is the floor's
-- total (executive KPAs, payment options log); the first is the sales dashboard's.
with approved as (
    select am_id, amount_usd, is_ftd
    from mart_payments
    where status = 'approved'
      and counted_at >= day_start($first_day) and counted_at < day_start($last_day + 1)
),

credits as (
    select 1 as credit_order, 'credited to an AM' as credit
    union all
    select 2, 'not credited to an AM (self deposits)'
),

sums as (
    select
        case when am_id is null then 2 else 1 end as credit_order,
        count(*) as deposits,
        sum(amount_usd) as deposit_usd,
        count(*) filter (where is_ftd) as ftds
    from approved
    group by all
),

final as (
    select
        credits.credit,
        coalesce(sums.deposits, 0) as deposits,
        cast(coalesce(sums.deposit_usd, 0) as decimal(18, 2)) as deposit_usd,
        coalesce(sums.ftds, 0) as ftds
    from credits
    left join sums using (credit_order)
    order by credits.credit_order
)

select * from final
