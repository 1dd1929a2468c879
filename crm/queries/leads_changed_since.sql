-- leads_changed_since: the leads written at or after the time given (by anyone: a manager's
-- star in another session, an AM's call), newest first, at most as many as asked, with the
-- columns of lead_states: what a page lays over the warehouse's rows until a snapshot holds
-- them. The `updated_at` index finds them; between two ETL runs they are few.
select
    leads.id as lead_id,
    leads.am_id,
    staff.name as am_name,
    staff.team_id,
    teams.name as team_name,
    leads.desk,
    leads.status,
    leads.is_starred,
    leads.priority,
    leads.callback_at,
    leads.time_zone,
    leads.version,
    -- The lead's latest assignment: why it is the AM's work, and the note that came with it.
    latest.reason as assignment_reason,
    latest.note as assignment_note,
    latest.by_id as assigned_by_id,
    latest.to_am_id as assigned_to_id
from leads
left join staff on staff.id = leads.am_id
left join teams on teams.id = staff.team_id
left join assignments as latest on latest.id = (
    select max(assignments.id) from assignments where assignments.lead_id = leads.id
)
where leads.updated_at >= :since
order by leads.updated_at desc
limit :limit
