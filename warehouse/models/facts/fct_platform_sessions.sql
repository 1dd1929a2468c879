-- fct_platform_sessions: one row per platform login of a known lead. Key: session_id.
select sessions.*
from stg_platform_sessions as sessions
where sessions.lead_id in (select lead_id from known_leads)
