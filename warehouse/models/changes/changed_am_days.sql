-- changed_am_days: the AM days whose count of distinct leads assigned an incremental run
-- recomputes: those where an assignment came, went, or changed its lead, AM or day (a changed
-- note or reason counts no lead more or less). Keep the columns below in step with
-- int_agent_day_assigned.
with assignments as (
    select sign, assignment_id, lead_id, to_am_id, reporting_day(assigned_at) as day
    from changes_fct_assignments
)

select distinct to_am_id as am_id, day
from (select * exclude (sign), sum(sign) as net from assignments group by all)
where net <> 0
