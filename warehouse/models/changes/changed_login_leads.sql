-- changed_login_leads: the leads whose int_lead_logins row an incremental run recomputes:
-- those with a session that came, went, or changed its lead or login. A heartbeat (last seen)
-- or a logout moves no login (mart_lead_priority reads who is online from the sessions
-- themselves): the most frequent change of a session recomputes nothing here.
with sessions as (
    select sign, lead_id, session_id, login_at from changes_fct_platform_sessions
)

select distinct lead_id
from (select * exclude (sign), sum(sign) as net from sessions group by all)
where net <> 0
