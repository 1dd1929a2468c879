-- live_online: the leads online now, read from the CRM itself (not the warehouse): a platform
-- session not logged out and seen at or after seen_after (5 minutes before now), since the
-- earliest login among such sessions. One row per lead, with the lead's owner, star, desk,
-- status and balance as the CRM has them now. The `last_seen_at` index finds the sessions. Times
-- outside [earliest, latest) are left out as the ETL quarantines them (PostgreSQL's infinity
-- cannot even be loaded by the driver; on SQLite a text that is no time sorts after digits).
-- Materialized first: grouping straight from the table, SQLite walks the lead_id index
-- (for the order) over every session instead of the few seen lately.
with recent as materialized (
    select lead_id, login_at, last_seen_at
    from platform_sessions
    where last_seen_at >= :seen_after
      and last_seen_at < :latest
      and login_at >= :earliest
      and login_at < :latest
      and logout_at is null
),

live_sessions as (
    select
        lead_id,
        min(login_at) as online_since,
        max(last_seen_at) as last_seen_at
    from recent
    group by lead_id
),

final as (
    select
        leads.id as lead_id,
        leads.version,
        leads.first_name || ' ' || leads.last_name as lead_name,
        leads.country,
        leads.time_zone,
        leads.status,
        leads.desk,
        leads.am_id,
        staff.name as am_name,
        leads.is_starred,
        staff.team_id,
        teams.name as team_name,
        leads.balance,
        leads.currency,
        currencies.usd_rate,
        live_sessions.online_since,
        live_sessions.last_seen_at
    from live_sessions
    join leads on leads.id = live_sessions.lead_id
    left join staff on staff.id = leads.am_id
    left join teams on teams.id = staff.team_id
    left join currencies on currencies.code = leads.currency
)

select * from final
