-- changed_activity_leads: the leads whose int_lead_activity row an incremental run recomputes:
-- those with a fact row that came, went, or changed in a value int_lead_activity reads (keep
-- the columns below in step with it). A call's duration or a note's text moves other marts,
-- not this one: recomputing a lead costs a pass over its calls.

-- Only approved and declined attempts add up to a figure (other statuses only make the lead
-- one with activity: the attempt's row, whatever its values).
with deposits as (
    select
        sign, lead_id, deposit_id,
        case when status in ('approved', 'declined') then status end as status,
        case when status = 'approved' then amount_usd end as amount_usd,
        case when status in ('approved', 'declined') then created_at end as created_at
    from changes_fct_deposit_attempts
),

calls as (
    select sign, lead_id, call_id, started_at from changes_fct_calls
),

-- Only a sent mail other than the automatic welcome is a contact (int_lead_activity reads no
-- other mail).
emails as (
    select sign, lead_id, email_id, sent_at from changes_fct_emails
    where sent_at is not null and template <> 'welcome'
),

notes as (
    select sign, lead_id, note_id, created_at from changes_fct_notes
),

-- A row whose values above are the same before and after adds up to nothing.
moved as (
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
