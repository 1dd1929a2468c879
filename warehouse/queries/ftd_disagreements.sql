-- ftd_disagreements: the deposit attempts counted in the days from $first_day to $last_day
-- (reporting days, inclusive) on which the CRM's FTD flag and the warehouse's FTD (the lead's first
-- approved deposit by approval time) disagree, newest first, each with the reason in words:
-- the data-quality list of the payment options log.
with payments as (
    select * from mart_payments
    where is_ftd <> crm_is_ftd
      and counted_at >= day_start($first_day) and counted_at < day_start($last_day + 1)
),

final as (
    select
        counted_at,
        deposit_id,
        lead_id,
        lead_name,
        am_name,
        status,
        amount_usd,
        is_ftd,
        crm_is_ftd,
        case
            when is_ftd
                then 'the first approved deposit of ' || lead_name || ', not flagged by the CRM'
            when status = 'approved'
                then 'flagged by the CRM, but ' || lead_name
                    || '''s FTD is an earlier approved deposit'
            when status = 'charged_back' then 'flagged by the CRM, but charged back'
            else 'flagged by the CRM, but ' || status
        end as reason
    from payments
)

select * from final
order by counted_at desc, deposit_id desc
