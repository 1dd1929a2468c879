-- maintained: additive (day)
-- int_cohort_day: one row per reporting day (the floor's calendar day) on which leads
-- registered: how many, and of them how many had their FTD within 7 days of registering (the
-- cohort conversion of mart_daily_kpa). Key: day. Sums of sign-weighted rows of
-- changes_mart_lead_funnel, so an incremental run adds the leads it changed instead of
-- counting all 1 M leads again (0.2 CPU-s a run at brokerage scale).
with final as (
    select
        reporting_day(registered_at) as day,
        cast(coalesce(sum(sign) filter (where ftd_at < registered_at + interval 7 day), 0)
            as bigint) as cohort_ftds,
        -- How many leads the key sums: the key goes when it reaches 0.
        cast(sum(sign) as bigint) as fact_rows
    from changes_mart_lead_funnel
    group by all
)

select * from final
