-- fct_assignments: one row per assignment of a known lead to a known AM. Key: assignment_id.
select assignments.*
from stg_assignments as assignments
where assignments.lead_id in (select lead_id from known_leads)
  and assignments.to_am_id in (select staff_id from stg_staff)
