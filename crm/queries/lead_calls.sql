-- lead_calls: every call to the lead (by the indexed lead_id), with the AM who made it.
select
    calls.id as call_id,
    calls.started_at,
    calls.duration_s,
    calls.outcome,
    staff.name as am_name
from calls
left join staff on staff.id = calls.am_id
where calls.lead_id = :lead_id
