-- leads_report: the All leads page (F1): every lead, highest-ranked first, at most $limit rows;
-- `matched` on each row says how many leads passed the filters. Filters, NULL for any: $team_id
-- and $am_id (the owning AM), $desk, $status, $search (part of the name in any case, or of the
-- e-mail when it holds an @). $new_leads keeps only the leads nobody owns yet (registered, not
-- yet assigned); the team and AM filters then do not apply. `local_time` is the lead's wall
-- clock at $now, and `inside_calling_hours` whether it falls in [$first_minute, $end_minute)
-- of the lead's day.
with matched as (
    select lead_id, priority_score, last_login_at
    from mart_lead_priority
    where ($desk is null or desk = $desk)
      and ($status is null or status = $status)
      -- One column is searched, not both: each costs a scan of a million strings.
      and (
          $search is null
          or case when contains($search, '@') then contains(email, lower($search))
              else contains(lower(lead_name), lower($search)) end
      )
      and case
          when $new_leads then am_id is null
          else ($am_id is null or am_id = $am_id)
              and ($team_id is null or am_id in (
                  select staff_id from dim_staff where team_id = $team_id
              ))
      end
),

-- Ranked and cut on the keys alone, then the shown rows are read whole: carrying every column
-- of up to a million leads through the sort would cost more than the rest of the query.
shown as (
    select lead_id
    from matched
    order by priority_score desc, last_login_at desc nulls last, lead_id
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
        leads.why_assigned,
        leads.registered_at,
        leads.last_login_at,
        leads.balance,
        leads.currency,
        leads.balance_usd,
        leads.deposits,
        leads.deposit_usd,
        leads.last_contacted_at,
        leads.priority_score,
        leads.priority_reasons,
        (select count(*) from matched) as matched
    from shown
    join mart_lead_priority as leads using (lead_id)
)

select *
from final
order by priority_score desc, last_login_at desc nulls last, lead_id
