-- fct_calls: one row per call on a known lead by a known AM. Key: call_id.
select calls.*
from stg_calls as calls
where calls.lead_id in (select lead_id from known_leads)
  and calls.am_id in (select staff_id from stg_staff)
