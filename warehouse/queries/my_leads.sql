-- my_leads: an AM's worklist: the leads starred for AM $am_id, at most $limit, in the order
-- to work them at $now: first the leads inside their calling hours [$first_minute,
-- $end_minute) of their own day, then those whose callback has fallen due, then the rest;
-- within each, by priority (score, then lead id). The columns of starred_leads, plus what the
-- AM needs to call: the lead's phone and e-mail, the manager's latest note and why the lead
-- is the AM's work, in words (mart_lead_notes). $lead_ids (a list, may be empty): leads the
-- CRM has starred for the AM since this snapshot read it, listed too, as the AM's (the page
-- lays the CRM's state over them, and drops any that is not the AM's, starred, any more).
with starred as (
    select
        *,
        local_time(time_zone, $now) as local_time,
        inside_calling_hours(time_zone, $now, $first_minute, $end_minute)
            as inside_calling_hours
    from mart_lead_priority
    where (is_starred and am_id = $am_id) or list_contains($lead_ids, lead_id)
),

final as (
    select
        starred.lead_id,
        starred.version,
        starred.lead_name,
        starred.phone,
        starred.email,
        $am_id as am_id,
        starred.am_name,
        starred.team_name,
        starred.country,
        starred.time_zone,
        starred.local_time,
        starred.inside_calling_hours,
        starred.is_starred,
        starred.callback_at,
        local_time(starred.time_zone, starred.callback_at) as callback_local,
        starred.last_contacted_at,
        starred.status,
        starred.desk,
        starred.priority,
        starred.priority_score,
        starred.priority_reasons,
        notes.manager_note,
        case notes.assignment_reason
            when 'new_lead' then 'new lead'
            when 'follow_up' then 'follow-up'
            when 'failed_deposit' then 'failed deposit'
            else notes.assignment_reason
        end as starred_because,
        -- 1 callable now, 2 callback due, 3 the rest: the worklist's three parts.
        case
            when coalesce(starred.inside_calling_hours, false) then 1
            when starred.callback_at <= $now then 2
            else 3
        end as worklist_part,
        count(*) over () as matched
    from starred
    left join mart_lead_notes as notes using (lead_id)
)

select * from final
order by worklist_part, priority_score desc, lead_id
limit $limit
