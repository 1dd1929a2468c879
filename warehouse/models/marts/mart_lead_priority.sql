-- mart_lead_priority: one row per lead, with what a manager needs to decide whom to call
-- first and why (F1, F7, F8). Key: lead_id.
-- Times are UTC; local time and calling hours depend on the moment of looking, so pages
-- compute them from time_zone when they query.
with leads as (
    select * from dim_leads
),

staff as (
    select staff_id, staff_name, team_name from dim_staff
),

currencies as (
    select currency, usd_rate from stg_currencies
),

activity as (
    select * from int_lead_activity
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
        leads.is_starred,
        leads.priority,
        leads.callback_at,
        leads.compliance_status,
        leads.registered_at,
        leads.ftd_at,
        activity.last_login_at,
        activity.previous_login_at,
        coalesce(activity.logins, 0) as logins,
        coalesce(activity.open_session_seen_at >= getvariable('as_of') - interval 5 minute, false)
            as online_now,
        leads.balance,
        leads.currency,
        cast(round(leads.balance * currencies.usd_rate, 2) as decimal(18, 2)) as balance_usd,
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
),

facts as (
    select
        *,
        date_diff('day', last_login_at, getvariable('as_of')) as days_since_login,
        date_diff('day', previous_login_at, last_login_at) as came_back_after_days,
        coalesce(
            last_declined_at >= getvariable('as_of') - interval 14 day
            and (last_deposit_at is null or last_deposit_at < last_declined_at),
            false
        ) as open_failed_deposit
    from joined
),

-- The ranking rules, each worth points and named in words (see warehouse/README.md).
reasons as (
    select
        *,
        [
            {'points': 30, 'reason': case when online_now then 'online now' end},
            {'points': 30, 'reason': case when open_failed_deposit
                then 'failed deposit ' || strftime(last_declined_at, '%Y-%m-%d') end},
            {'points': 25, 'reason': case when priority = 'high' then 'high priority (upsale)' end},
            {'points': 25, 'reason': case when came_back_after_days >= 14 and days_since_login <= 3
                then 'came back after ' || came_back_after_days || ' days away' end},
            {'points': 20, 'reason': case when callback_at <= getvariable('as_of') + interval 1 day
                then 'callback due' end},
            {'points': 40, 'reason': case when days_since_login = 0 then 'logged in today' end},
            {'points': 25, 'reason': case when days_since_login = 1 then 'logged in yesterday'
                when days_since_login between 2 and 3
                then 'logged in ' || days_since_login || ' days ago' end},
            {'points': 10, 'reason': case when days_since_login between 4 and 7
                then 'logged in this week' end},
            {'points': 15, 'reason': case when deposits > 0 and balance_usd < 100
                then 'low balance' end},
            {'points': 15, 'reason': case when am_id is not null and last_contacted_at is null
                then 'never contacted' end},
            {'points': 10, 'reason': case when registered_at >= getvariable('as_of') - interval 2 day
                then 'new registration' end}
        ] as rules
    from facts
),

final as (
    select
        * exclude (rules, previous_login_at, last_declined_at),
        cast(coalesce(list_sum(
            list_transform(list_filter(rules, lambda r: r.reason is not null), lambda r: r.points)
        ), 0) as integer) as priority_score,
        array_to_string(
            list_transform(list_filter(rules, lambda r: r.reason is not null), lambda r: r.reason), '; '
        ) as priority_reasons
    from reasons
),

-- Columns the lead pages need (Online advanced, the lead table's action hook).
page_columns as (
    select
        leads.lead_id,
        -- The lead's change counter: an action refuses to write if it has moved since.
        leads.version,
        live.online_since
    from dim_leads as leads
    left join (
        -- The earliest login among the sessions that make the lead online now.
        select lead_id, min(login_at) as online_since
        from fct_platform_sessions
        where logout_at is null and last_seen_at >= getvariable('as_of') - interval 5 minute
        group by lead_id
    ) as live using (lead_id)
)

select final.*, page_columns.version, page_columns.online_since
from final
left join page_columns using (lead_id)
order by priority_score desc, last_login_at desc nulls last, lead_id
