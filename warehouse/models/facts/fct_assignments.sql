-- fct_assignments: one row per assignment of a known lead to a known AM. Key: assignment_id.
select assignments.*
from stg_assignments as assignments
where known_lead(assignments.lead_id)
  and assignments.to_am_id in (select staff_id from stg_staff)
