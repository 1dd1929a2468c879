-- fct_support_tickets: one row per support ticket of a known lead. Key: ticket_id.
select tickets.*
from stg_support_tickets as tickets
where known_lead(tickets.lead_id)
