-- leads_last_logged_in: the Last logged in page (F7, F8), at most $limit rows; `matched` on
-- each row says how many leads the list holds. $view chooses the list:
-- - 'recent': leads that logged in within the last $days days (0 = today), the most recent day
--   first; within a day, comebacks after 14 days or more away, then depositors with less than
--   100 USD balance, then the latest login;
-- - 'old_conversion': conversion-desk leads without an FTD whose last login is $days days ago
--   or more, the most recently seen first (a lead never seen has nothing to rank by: left out);
-- - 'retention': retention-desk leads, by last login, the most recent first.
-- Filters, NULL for any: $team_id and $am_id (the owning AM). `local_time` and
-- `inside_calling_hours` as in leads_report.
with matched as (
    select
        lead_id,
        days_since_login,
        last_login_at,
        $view = 'recent' and coalesce(came_back_after_days >= 14, false) as is_comeback,
        $view = 'recent' and deposits > 0 and balance_usd < 100 as is_low_balance
    from mart_lead_priority
    where case $view
          when 'recent' then days_since_login <= $days
          when 'old_conversion' then desk = 'conversion' and ftd_at is null
              and days_since_login >= $days
          when 'retention' then desk = 'retention'
      end
      and ($am_id is null or am_id = $am_id)
      and ($team_id is null or am_id in (select staff_id from dim_staff where team_id = $team_id))
),

shown as (
    select *
    from matched
    order by
        days_since_login nulls last,
        is_comeback desc,
        is_low_balance desc,
        last_login_at desc nulls last,
        lead_id
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
        leads.is_starred,
        leads.team_name,
        leads.last_login_at,
        leads.days_since_login,
        leads.came_back_after_days,
        leads.registered_at,
        leads.balance,
        leads.currency,
        leads.balance_usd,
        leads.deposits,
        leads.deposit_usd,
        leads.last_contacted_at,
        leads.priority_score,
        leads.priority_reasons,
        (select count(*) from matched) as matched,
        shown.is_comeback,
        shown.is_low_balance
    from shown
    join mart_lead_priority as leads using (lead_id)
)

select * exclude (is_comeback, is_low_balance)
from final
order by
    days_since_login nulls last,
    is_comeback desc,
    is_low_balance desc,
    last_login_at desc nulls last,
    lead_id
