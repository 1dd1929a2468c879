-- activity_events: what one AM ($am_id) did on one reporting day ($day), event by event, newest
-- first, at most $limit: the log report's detail. The time filter comes first so
-- that only that day's blocks of the large activity log are read.
with events as (
    select *
    from mart_activity_log
    where occurred_at >= day_start($day)
      and occurred_at < day_start($day + 1)
      and am_id = $am_id
),

final as (
    select
        events.occurred_at,
        events.kind,
        events.lead_id,
        leads.lead_name,
        events.summary,
        events.event_id
    from events
    left join mart_lead_priority as leads using (lead_id)
)

select * from final
order by occurred_at desc, kind, event_id desc
limit $limit
