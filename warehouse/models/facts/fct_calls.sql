-- fct_calls: one row per call on a known lead by a known AM. Key: call_id.
select calls.*
from stg_calls as calls
where known_lead(calls.lead_id)
  and calls.am_id in (select staff_id from stg_staff)
