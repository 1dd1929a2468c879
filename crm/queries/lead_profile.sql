-- lead_profile: one lead as the CRM holds it now (by its primary key), with the names of its
-- AM, the AM's team and who starred it: who the lead is and where it stands; and the CRM's
-- calling hours (crm_settings, blank for the default), read in the same round trip.
select
    leads.id as lead_id,
    leads.version,
    leads.first_name,
    leads.last_name,
    leads.email,
    leads.phone,
    leads.country,
    leads.language,
    leads.time_zone,
    leads.source,
    leads.campaign,
    leads.affiliate,
    leads.registered_at,
    leads.status,
    leads.desk,
    leads.am_id,
    am.name as am_name,
    teams.name as team_name,
    leads.is_starred,
    starred_by.name as starred_by_name,
    leads.starred_at,
    leads.priority,
    leads.callback_at,
    leads.compliance_status,
    leads.balance,
    leads.currency,
    leads.ftd_at,
    -- The lead's latest session, as the lead tables count it (int_lead_activity): the CRM's
    -- own column only where no session is kept (another system wrote the lead).
    coalesce(
        (select max(sessions.login_at) from platform_sessions as sessions
         where sessions.lead_id = leads.id),
        leads.last_login_at
    ) as last_login_at,
    (select value from crm_settings where key = 'calling_hours') as calling_hours
from leads
left join staff as am on am.id = leads.am_id
left join teams on teams.id = am.team_id
left join staff as starred_by on starred_by.id = leads.starred_by_id
where leads.id = :lead_id
