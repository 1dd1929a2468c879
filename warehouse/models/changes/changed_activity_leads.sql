-- changed_activity_leads: the leads whose int_lead_activity row an incremental run recomputes:
-- those with a fact row that came, went, or changed in a value int_lead_activity reads (keep
-- the columns below in step with it). A call's duration or a note's text moves other marts,
-- not this one: recomputing a lead costs a pass over its sessions, and 1 % of the sessions
-- changing reaches a sixth of all leads.
with sessions as (
    select
        sign, lead_id, session_id, login_at,
        -- Only a session not logged out tells, by when it was last seen, that a lead is online.
        logout_at is null as open,
        case when logout_at is null then last_seen_at end as open_seen_at
    from changes_fct_platform_sessions
),

deposits as (
    select sign, lead_id, deposit_id, status, amount_usd, created_at
    from changes_fct_deposit_attempts
),

calls as (
    select sign, lead_id, call_id, started_at from changes_fct_calls
),

emails as (
    select sign, lead_id, email_id, template, sent_at from changes_fct_emails
),

notes as (
    select sign, lead_id, note_id, created_at from changes_fct_notes
),

-- A row whose values above are the same before and after adds up to nothing.
moved as (
    select lead_id from (select * exclude (sign), sum(sign) as net from sessions group by all)
    where net <> 0
    union all
    select lead_id from (select * exclude (sign), sum(sign) as net from deposits group by all)
    where net <> 0
    union all
    select lead_id from (select * exclude (sign), sum(sign) as net from calls group by all)
    where net <> 0
    union all
    select lead_id from (select * exclude (sign), sum(sign) as net from emails group by all)
    where net <> 0
    union all
    select lead_id from (select * exclude (sign), sum(sign) as net from notes group by all)
    where net <> 0
)

select distinct lead_id from moved
