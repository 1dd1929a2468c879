-- fct_support_tickets: one row per support ticket of a known lead. Key: ticket_id.
select tickets.*
from stg_support_tickets as tickets
where tickets.lead_id in (select lead_id from known_leads)
