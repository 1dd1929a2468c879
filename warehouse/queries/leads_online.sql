-- leads_online: the Online and Online advanced pages (F2): the leads online as of the ETL's
-- last run, highest-ranked first, at most $limit rows; `matched` on each row says how many
-- are online in the filters. Filters, NULL for any: $team_id and $am_id (the owning AM).
-- `online_seconds` is the time since the live session's login, at $now; `local_time` and
-- `inside_calling_hours` as in leads_report.
with matched as (
    select lead_id, priority_score, online_since
    from mart_lead_priority
    where online_now
      and ($am_id is null or am_id = $am_id)
      and ($team_id is null or am_id in (select staff_id from dim_staff where team_id = $team_id))
),

shown as (
    select lead_id
    from matched
    order by priority_score desc, online_since, lead_id
    limit $limit
),

final as (
    select
        leads.lead_id,
        leads.version,
        leads.lead_name,
        leads.country,
        leads.time_zone,
        local_time(leads.time_zone, $now) as local_time,
        inside_calling_hours(leads.time_zone, $now, $first_minute, $end_minute)
            as inside_calling_hours,
        leads.status,
        leads.desk,
        leads.am_name,
        leads.team_name,
        leads.online_since,
        greatest(0, epoch($now) - epoch(leads.online_since))::bigint as online_seconds,
        leads.balance,
        leads.currency,
        leads.balance_usd,
        leads.deposits,
        leads.deposit_usd,
        leads.last_deposit_at,
        leads.last_call_at,
        leads.last_contacted_at,
        leads.priority_score,
        leads.priority_reasons,
        (select count(*) from matched) as matched
    from shown
    join mart_lead_priority as leads using (lead_id)
)

select *
from final
order by priority_score desc, online_since, lead_id
