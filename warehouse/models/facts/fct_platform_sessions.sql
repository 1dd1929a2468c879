-- fct_platform_sessions: one row per platform login of a known lead. Key: session_id.
select sessions.*
from stg_platform_sessions as sessions
where known_lead(sessions.lead_id)
