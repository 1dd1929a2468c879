-- maintained: by key (ticket_id) from changed_ticket_ids
-- mart_support_tickets: one row per support ticket (F6), with its lead, the lead's AM and the
-- ticket's owner. Key: ticket_id. Age depends on the moment of looking: pages compute it. In
-- no particular order (pages sort): an incremental run replaces the changed tickets' rows.
with tickets as (
    select * from fct_support_tickets
    where ticket_id in (select ticket_id from changed_ticket_ids)  -- changed only
),

leads as (
    select lead_id, first_name || ' ' || last_name as lead_name, am_id from dim_leads
    where lead_id in (select lead_id from tickets)  -- changed only
),

staff as (
    select staff_id, staff_name from dim_staff
),

final as (
    select
        tickets.ticket_id,
        tickets.lead_id,
        leads.lead_name,
        leads.am_id as lead_am_id,
        lead_am.staff_name as lead_am_name,
        tickets.owner_id,
        owner.staff_name as owner_name,
        tickets.subject,
        tickets.priority,
        case tickets.priority
            when 'urgent' then 4 when 'high' then 3 when 'normal' then 2 when 'low' then 1
        end as priority_rank,
        tickets.status,
        tickets.status <> 'closed' as is_open,
        tickets.opened_at,
        tickets.closed_at
    from tickets
    join leads using (lead_id)
    left join staff as lead_am on lead_am.staff_id = leads.am_id
    left join staff as owner on owner.staff_id = tickets.owner_id
)

select * from final
