-- lead_sessions: the lead's logins to the trading platform (by the indexed lead_id), which
-- the lead page sums up per day.
select
    login_at,
    last_seen_at,
    logout_at,
    device
from platform_sessions
where lead_id = :lead_id
