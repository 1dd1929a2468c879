-- lead_tickets: the lead's support tickets (by the indexed lead_id), with their owners.
select
    support_tickets.id as ticket_id,
    support_tickets.opened_at,
    support_tickets.closed_at,
    support_tickets.subject,
    support_tickets.priority,
    support_tickets.status,
    staff.name as owner_name
from support_tickets
left join staff on staff.id = support_tickets.owner_id
where support_tickets.lead_id = :lead_id
