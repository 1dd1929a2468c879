-- leads_by_priority: the $limit highest-ranked leads, optionally of one desk ($desk) or one AM
-- ($am_id), or only unassigned ones ($unassigned): the all-leads and last-logged-in lists.
select *
from mart_lead_priority
where ($desk is null or desk = $desk)
  and ($am_id is null or am_id = $am_id)
  and (not $unassigned or am_id is null)
order by priority_score desc, last_login_at desc nulls last, lead_id
limit $limit
