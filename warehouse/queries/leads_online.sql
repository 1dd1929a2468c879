-- leads_online: the Online and Online advanced pages (F2): the leads online now, highest-ranked
-- first, at most $limit rows; `matched` on each row says how many are online in the filters.
-- Filters, NULL for any: $team_id (the owning AM's team) and $am_id (the owning AM).
-- Who is online, since when, and the lead's status, desk, owner, star and balance are live:
-- they come from `live_online`, read from the CRM a moment ago (crm/live.py). Deposits, last
-- deposit, last call and contact, and the ranking (priority_score, priority_reasons) are the
-- warehouse's, as of the ETL's last run; a lead the ETL has not read yet ranks last.
-- `online_seconds` is the time since the live session's login, at $now; `local_time` and
-- `inside_calling_hours` as in leads_report.
with matched as (
    -- The CRM's zone as staging keeps it: one the warehouse does not know is blank (a lead's
    -- local time then unknown) instead of failing the page for everyone.
    select
        live_online.* replace (
            case
                when trim(live_online.time_zone) = '' then 'UTC'
                when live_online.time_zone in (select name from pg_timezone_names())
                    then live_online.time_zone
            end as time_zone
        ),
        leads.priority_score
    from live_online
    left join mart_lead_priority as leads using (lead_id)
    where ($am_id is null or live_online.am_id = $am_id)
      and ($team_id is null or live_online.team_id = $team_id)
),

shown as (
    select *
    from matched
    order by priority_score desc nulls last, online_since, lead_id
    limit $limit
),

final as (
    select
        shown.lead_id,
        shown.version,
        shown.lead_name,
        shown.country,
        shown.time_zone,
        local_time(shown.time_zone, $now) as local_time,
        inside_calling_hours(shown.time_zone, $now, $first_minute, $end_minute)
            as inside_calling_hours,
        shown.status,
        shown.desk,
        shown.am_id,
        shown.am_name,
        shown.is_starred,
        shown.team_name,
        shown.online_since,
        greatest(0, epoch($now) - epoch(shown.online_since))::bigint as online_seconds,
        shown.balance,
        shown.currency,
        cast(round(shown.balance * shown.usd_rate, 2) as decimal(18, 2)) as balance_usd,
        coalesce(leads.deposits, 0) as deposits,
        coalesce(leads.deposit_usd, 0) as deposit_usd,
        leads.last_deposit_at,
        leads.last_call_at,
        leads.last_contacted_at,
        shown.priority_score,
        leads.priority_reasons,
        (select count(*) from matched) as matched
    from shown
    left join mart_lead_priority as leads using (lead_id)
)

select *
from final
order by priority_score desc nulls last, online_since, lead_id
