-- maintained: by key (lead_id) from changed_priority_leads
-- mart_lead_priority: one row per lead, with what a manager needs to decide whom to call
-- first and why (F1, F7, F8). Key: lead_id.
-- Times are UTC; local time and calling hours depend on the moment of looking, so pages
-- compute them from time_zone when they query. The rules that depend on the moment of the
-- run (days since login, online now, ...) are listed in changed_priority_leads, which makes
-- an incremental run recompute the leads whose ranking the clock moved.
with leads as (
    select * from dim_leads
    where lead_id in (select lead_id from changed_priority_leads)  -- changed only
),

staff as (
    select staff_id, staff_name, team_name from dim_staff
),

currencies as (
    select currency, usd_rate from stg_currencies
),

activity as (
    select * from int_lead_activity
    where lead_id in (select lead_id from changed_priority_leads)  -- changed only
),

logins as (
    select * from int_lead_logins
    where lead_id in (select lead_id from changed_priority_leads)  -- changed only
),

-- The lead's latest assignment: when the distribution rules made it (reason auto) and it gave
-- the AM the lead has now, its one-line explanation is the row's "why assigned" (issue 25).
-- (arg_max rather than numbering each lead's assignments: no sort.)
latest_assignment as (
    select lead_id, latest.to_am_id, latest.reason, latest.note
    from (
        select
            lead_id,
            arg_max(
                {'to_am_id': to_am_id, 'reason': reason, 'note': note},
                (assigned_at, assignment_id)
            ) as latest
        from fct_assignments
        where lead_id in (select lead_id from changed_priority_leads)  -- changed only
        group by lead_id
    )
),

-- Online: a session not logged out and seen in the last 5 minutes; since the earliest login
-- among such sessions. Read from the sessions at each run, not kept per lead in
-- int_lead_logins: a heartbeat (every minute of an online lead) would recompute the lead's
-- logins. The time filter reads only the blocks of sessions seen that late.
live as (
    select lead_id, min(login_at) as online_since
    from fct_platform_sessions
    where logout_at is null
      and last_seen_at >= getvariable('as_of') - interval 5 minute
      and lead_id in (select lead_id from changed_priority_leads)  -- changed only
    group by lead_id
),

joined as (
    select
        leads.lead_id,
        leads.first_name || ' ' || leads.last_name as lead_name,
        leads.email,
        leads.phone,
        leads.country,
        leads.time_zone,
        leads.language,
        leads.source,
        leads.status,
        leads.desk,
        leads.am_id,
        staff.staff_name as am_name,
        staff.team_name,
        case when latest_assignment.reason = 'auto' and latest_assignment.to_am_id = leads.am_id
            then latest_assignment.note end as why_assigned,
        leads.is_starred,
        leads.priority,
        leads.callback_at,
        leads.compliance_status,
        -- The lead's change counter: an action refuses to write if it has moved since.
        leads.version,
        leads.registered_at,
        leads.ftd_at,
        logins.last_login_at,
        logins.previous_login_at,
        coalesce(logins.logins, 0) as logins,
        live.lead_id is not null as online_now,
        live.online_since,
        leads.balance,
        leads.currency,
        -- NULL where it would not fit (an absurd balance or rate): one lead never fails the run.
        try_cast(
            round(cast(leads.balance as decimal(38, 2)) * currencies.usd_rate, 2) as decimal(18, 2)
        ) as balance_usd,
        coalesce(activity.deposits, 0) as deposits,
        cast(coalesce(activity.deposit_usd, 0) as decimal(18, 2)) as deposit_usd,
        activity.last_deposit_at,
        activity.last_declined_at,
        activity.last_contacted_at,
        activity.last_call_at
    from leads
    left join staff on staff.staff_id = leads.am_id
    left join currencies using (currency)
    left join activity using (lead_id)
    left join logins using (lead_id)
    left join latest_assignment using (lead_id)
    left join live using (lead_id)
),

facts as (
    select
        *,
        reporting_day(getvariable('as_of')) - reporting_day(last_login_at) as days_since_login,
        reporting_day(last_login_at) - reporting_day(previous_login_at) as came_back_after_days,
        coalesce(
            last_declined_at >= getvariable('as_of') - interval 14 day
            and (last_deposit_at is null or last_deposit_at < last_declined_at),
            false
        ) as open_failed_deposit
    from joined
),

-- The ranking rules, each worth points and named in words (see warehouse/README.md): a rule
-- that holds gives its reason, and its points count.
reasons as (
    select
        *,
        case when online_now then 'online now' end as online_rule,
        case when open_failed_deposit
            then 'failed deposit ' || strftime(last_declined_at, '%Y-%m-%d') end as failed_rule,
        case when priority = 'high' then 'high priority (upsale)' end as upsale_rule,
        case when came_back_after_days >= 14 and days_since_login <= 3
            then 'came back after ' || came_back_after_days || ' days away' end as comeback_rule,
        case when callback_at <= getvariable('as_of') + interval 1 day
            then 'callback due' end as callback_rule,
        case when days_since_login = 0 then 'logged in today' end as today_rule,
        case when days_since_login = 1 then 'logged in yesterday'
            when days_since_login between 2 and 3
            then 'logged in ' || days_since_login || ' days ago' end as recent_rule,
        case when days_since_login between 4 and 7 then 'logged in this week' end as week_rule,
        case when deposits > 0 and balance_usd < 100 then 'low balance' end as balance_rule,
        case when am_id is not null and last_contacted_at is null
            then 'never contacted' end as uncontacted_rule,
        case when registered_at >= getvariable('as_of') - interval 2 day
            then 'new registration' end as new_rule
    from facts
),

final as (
    select
        * exclude (
            previous_login_at, last_declined_at, online_rule, failed_rule,
            upsale_rule, comeback_rule, callback_rule, today_rule, recent_rule, week_rule,
            balance_rule, uncontacted_rule, new_rule
        ),
        cast(
            30 * (online_rule is not null)::integer
            + 30 * (failed_rule is not null)::integer
            + 25 * (upsale_rule is not null)::integer
            + 25 * (comeback_rule is not null)::integer
            + 20 * (callback_rule is not null)::integer
            + 40 * (today_rule is not null)::integer
            + 25 * (recent_rule is not null)::integer
            + 10 * (week_rule is not null)::integer
            + 15 * (balance_rule is not null)::integer
            + 15 * (uncontacted_rule is not null)::integer
            + 10 * (new_rule is not null)::integer
            as integer
        ) as priority_score,
        -- concat_ws leaves out the rules that do not hold (NULL).
        concat_ws(
            '; ', online_rule, failed_rule, upsale_rule, comeback_rule, callback_rule,
            today_rule, recent_rule, week_rule, balance_rule, uncontacted_rule, new_rule
        ) as priority_reasons
    from reasons
)

-- No sort: pages rank with their own ORDER BY ... LIMIT, which reads the top rows only.
select * from final
