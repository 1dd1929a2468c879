-- maintained: by key (lead_id) from changed_activity_leads
-- int_lead_activity: one row per lead with deposits, calls, mails or notes: what they add up
-- to, with nothing that depends on the moment of the run (mart_lead_priority adds that). Its
-- logins are in int_lead_logins. Key: lead_id. An incremental run recomputes only the leads in
-- changed_activity_leads: every part below reads through it (the `changed only` lines).
with deposits as (
    select
        lead_id,
        count(*) filter (where status = 'approved') as deposits,
        coalesce(sum(amount_usd) filter (where status = 'approved'), 0) as deposit_usd,
        max(created_at) filter (where status = 'approved') as last_deposit_at,
        max(created_at) filter (where status = 'declined') as last_declined_at
    from fct_deposit_attempts
    where lead_id in (select lead_id from changed_activity_leads)  -- changed only
    group by lead_id
),

last_call as (
    select lead_id, max(started_at) as last_call_at
    from fct_calls
    where lead_id in (select lead_id from changed_activity_leads)  -- changed only
    group by lead_id
),

contacts as (
    select lead_id, last_call_at as contacted_at from last_call
    union all
    -- The automatic welcome mail is not a contact: an AM has not spoken to the lead yet.
    select lead_id, max(sent_at) from fct_emails
    where sent_at is not null and template <> 'welcome'
      and lead_id in (select lead_id from changed_activity_leads)  -- changed only
    group by lead_id
    union all
    select lead_id, max(created_at) from fct_notes
    where lead_id in (select lead_id from changed_activity_leads)  -- changed only
    group by lead_id
),

last_contact as (
    select lead_id, max(contacted_at) as last_contacted_at from contacts group by lead_id
),

final as (
    select
        lead_id,
        coalesce(deposits.deposits, 0) as deposits,
        cast(coalesce(deposits.deposit_usd, 0) as decimal(18, 2)) as deposit_usd,
        deposits.last_deposit_at,
        deposits.last_declined_at,
        last_contact.last_contacted_at,
        last_call.last_call_at
    from deposits
    full join last_contact using (lead_id)
    full join last_call using (lead_id)
)

select * from final
