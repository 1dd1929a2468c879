-- maintained: by key (lead_id) from changed_login_leads
-- int_lead_logins: one row per lead with a platform session: its last two logins and how many
-- it has. Key: lead_id. Apart from int_lead_activity: the sessions are the largest fact (19 M
-- at brokerage scale), and a lead's deposit or mail must not make its sessions be read again.
-- An incremental run recomputes only the leads in changed_login_leads.
with logins as (
    select lead_id, max(login_at, 2) as latest_two, count(*) as logins
    from fct_platform_sessions
    where lead_id in (select lead_id from changed_login_leads)  -- changed only
    group by lead_id
),

final as (
    select
        lead_id,
        latest_two[1] as last_login_at,
        latest_two[2] as previous_login_at,
        logins
    from logins
)

select * from final
