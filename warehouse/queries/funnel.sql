-- funnel: the conversion funnel of the leads registered from $first_day to $last_day (reporting
-- days, inclusive) and owned now by an AM of one team ($team_id) or by one AM ($am_id)
-- (NULL = all, unassigned leads included): registered; of them, contacted by the end of
-- $last_day; of those, with an FTD by the end of $last_day. Three rows, one per stage in
-- order, each with its leads and its share of the stage before (0-1; NULL for the first stage
-- or when the stage before is empty).
with registered as (
    select first_contacted_at, ftd_at
    from mart_lead_funnel
    where registered_at >= day_start($first_day)
      and registered_at < day_start($last_day + 1)
      and ($team_id is null or team_id = $team_id)
      and ($am_id is null or am_id = $am_id)
),

stages as (
    select
        count(*) as registered,
        count(*) filter (where first_contacted_at < day_start($last_day + 1)) as contacted,
        count(*) filter (
            where first_contacted_at < day_start($last_day + 1)
              and ftd_at < day_start($last_day + 1)
        ) as ftds
    from registered
),

final as (
    select 1 as stage_order, 'registered' as stage, registered as leads, null as share
    from stages
    union all
    select 2, 'contacted', contacted,
        case when registered > 0 then round(contacted / registered, 4) end
    from stages
    union all
    select 3, 'FTD', ftds, case when contacted > 0 then round(ftds / contacted, 4) end
    from stages
)

select * from final
order by stage_order
