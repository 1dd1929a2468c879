-- lead_assignments: every change of the lead's owner or desk (by the indexed lead_id), with
-- the names of the AMs it went from and to and of who assigned it.
select
    assignments.id as assignment_id,
    assignments.assigned_at,
    from_am.name as from_am_name,
    to_am.name as to_am_name,
    assignments.from_desk,
    assignments.to_desk,
    by_staff.name as by_name,
    assignments.reason,
    assignments.note
from assignments
left join staff as from_am on from_am.id = assignments.from_am_id
left join staff as to_am on to_am.id = assignments.to_am_id
left join staff as by_staff on by_staff.id = assignments.by_id
where assignments.lead_id = :lead_id
