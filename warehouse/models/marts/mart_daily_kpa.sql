-- mart_daily_kpa: one row per reporting day (the floor's calendar day), from the first registration to the day of
-- the run: the floor's key performance areas. Key: day.
-- Two conversions, each labelled on the pages: the cohort (of the leads registered that day,
-- those whose FTD came within 7 days of registering; a cohort younger than 7 days is still
-- open) and the same-day ratio (FTDs of the day, whoever's, over registrations of the day;
-- it may pass 1).
with counts as (
    select * from int_day
),

cohorts as (
    select day, cohort_ftds from int_cohort_day
),

days as (
    select cast(unnest(generate_series(
        (select min(day) from counts where registrations <> 0), reporting_day(getvariable('as_of')), interval 1 day
    )) as date) as day
),

final as (
    select
        days.day,
        coalesce(counts.registrations, 0) as registrations,
        coalesce(counts.ftds, 0) as ftds,
        coalesce(counts.deposits, 0) as deposits,
        cast(coalesce(counts.deposit_usd, 0) as decimal(18, 2)) as deposit_usd,
        coalesce(counts.failed_deposits, 0) as failed_deposits,
        coalesce(counts.calls, 0) as calls,
        coalesce(counts.connected_calls, 0) as connected_calls,
        case when counts.calls > 0
            then round(counts.connected_calls / counts.calls, 4) end as call_ratio,
        case when counts.registrations > 0
            then round(coalesce(counts.ftds, 0) / counts.registrations, 4)
        end as conversion_rate,
        coalesce(cohorts.cohort_ftds, 0) as cohort_ftds,
        case when counts.registrations > 0
            then round(coalesce(cohorts.cohort_ftds, 0) / counts.registrations, 4)
        end as cohort_conversion,
        days.day + 8 <= reporting_day(getvariable('as_of')) as is_cohort_closed
    from days
    left join counts using (day)
    left join cohorts using (day)
)

select * from final
order by day
