-- changed_ticket_ids: the support tickets whose mart_support_tickets rows an incremental run
-- recomputes: changed tickets (came, went or changed); every ticket of a lead that changed
-- (its name and AM show on the row) or whose AM changed (touched_leads has those); every
-- ticket of an owner who changed. Keep in step with mart_support_tickets.
select ticket_id from changes_fct_support_tickets
union select ticket_id from fct_support_tickets
    where lead_id in (select lead_id from touched_leads)
union select ticket_id from fct_support_tickets
    where owner_id in (select staff_id from touched_staff)
