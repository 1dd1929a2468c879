-- maintained: by key (lead_id) from changed_funnel_leads
-- mart_lead_funnel: one row per lead with the three moments of the conversion funnel (F9):
-- registration, first contact by an AM's work, first-time deposit; and its owner now.
-- Key: lead_id. Sorted by registration, so a period's leads are read from their own blocks.
with leads as (
    select lead_id, registered_at, am_id from dim_leads
    where lead_id in (select lead_id from changed_funnel_leads)  -- changed only
),

staff as (
    select staff_id, team_id from dim_staff
),

-- A contact is a call (any outcome), a note, or a sent e-mail other than the welcome: the
-- events of the activity log other than assignments.
contacts as (
    select lead_id, min(occurred_at) as first_contacted_at
    from mart_activity_log
    where kind <> 'assignment'
      and lead_id in (select lead_id from changed_funnel_leads)  -- changed only
    group by lead_id
),

-- The FTD as mart_payments has it: the lead's first approved deposit, at its approval.
ftds as (
    select lead_id, counted_at as ftd_at
    from mart_payments
    where is_ftd
      and lead_id in (select lead_id from changed_funnel_leads)  -- changed only
),

final as (
    select
        leads.lead_id,
        leads.registered_at,
        leads.am_id,
        staff.team_id,
        contacts.first_contacted_at,
        ftds.ftd_at
    from leads
    left join staff on staff.staff_id = leads.am_id
    left join contacts using (lead_id)
    left join ftds using (lead_id)
)

select * from final
order by registered_at
