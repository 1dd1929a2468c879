-- changed_funnel_leads: the leads whose mart_lead_funnel row an incremental run recomputes:
-- a lead registered, deleted, re-dated or given another owner; a lead whose AM changed team
-- (touched_leads); a lead whose first contact may have moved (an event of the activity log
-- other than an assignment came, went or moved in time); a lead whose first-time deposit may
-- have (mart_payments' FTD came, went or moved). Keep in step with mart_lead_funnel.
with leads as (
    select sign, lead_id, registered_at, am_id from changes_dim_leads
),

contacts as (
    select sign, lead_id, kind, event_id, occurred_at
    from changes_mart_activity_log
    where kind <> 'assignment'
),

ftds as (
    select sign, lead_id, deposit_id, counted_at
    from changes_mart_payments
    where is_ftd
),

moved as (
    select lead_id from (select * exclude (sign), sum(sign) as net from leads group by all)
    where net <> 0
    union all
    select lead_id from touched_leads
    union all
    select lead_id from (select * exclude (sign), sum(sign) as net from contacts group by all)
    where net <> 0
    union all
    select lead_id from (select * exclude (sign), sum(sign) as net from ftds group by all)
    where net <> 0
)

select distinct lead_id from moved
