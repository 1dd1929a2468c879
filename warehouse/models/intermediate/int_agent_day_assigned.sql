-- maintained: by key (am_id, day) from changed_am_days
-- int_agent_day_assigned: one row per AM per reporting day (the floor's calendar day) with assignments to them: how
-- many distinct leads were assigned. Key: (am_id, day). A distinct count does not add up, so an
-- incremental run recomputes the AM days in changed_am_days.
with final as (
    select
        to_am_id as am_id,
        reporting_day(assigned_at) as day,
        count(distinct lead_id) as assigned_leads
    from fct_assignments
    semi join changed_am_days as changed  -- changed only
        on changed.am_id = fct_assignments.to_am_id  -- changed only
        and changed.day = reporting_day(fct_assignments.assigned_at)  -- changed only
    group by all
)

select * from final
