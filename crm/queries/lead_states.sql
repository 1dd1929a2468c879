-- lead_states: the state of the leads lead_ids as the CRM holds it now, one row per lead,
-- with its owner's name and team: what a page lays over its rows after an action, until the
-- warehouse holds the change. Read by the leads' primary key.
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
where leads.id in :lead_ids
