-- failed_deposits: the Failed deposits page (F3): declined deposit attempts made on the
-- reporting days $first_day to $last_day, the open ones (not yet reviewed) first, then the newest; at
-- most $limit rows, `matched` on each row says how many passed the filters. Filters, NULL for
-- any: $team_id and $am_id (the lead's owning AM); $open_only keeps the unreviewed ones.
-- Reviewed: a failed_deposit assignment of the lead or a note on it since the attempt
-- (mart_payments.reviewed_at). Each row carries its lead as the lead pages show it, with
-- its owning AM's id and its desk (the failed-deposit review offers that desk's AMs).
with attempts as (
    select *
    from mart_payments
    where status = 'declined'
      and created_at >= day_start($first_day)
      and created_at < day_start($last_day + 1)
      and (not $open_only or reviewed_at is null)
),

-- The leads of the chosen team or AM (none when neither is chosen: then no lead is looked up).
owned as (
    select lead_id
    from mart_lead_priority
    where ($am_id is not null or $team_id is not null)
      and ($am_id is null or am_id = $am_id)
      and ($team_id is null or am_id in (select staff_id from dim_staff where team_id = $team_id))
),

matched as (
    select
        attempts.deposit_id,
        attempts.lead_id,
        attempts.created_at,
        attempts.decline_reason,
        attempts.provider,
        attempts.method,
        attempts.amount,
        attempts.currency as amount_currency,
        attempts.amount_usd,
        attempts.reviewed_at
    from attempts
    where ($am_id is null and $team_id is null) or lead_id in (select lead_id from owned)
),

shown as (
    select *
    from matched
    order by reviewed_at is null desc, created_at desc, deposit_id desc
    limit $limit
),

final as (
    select
        deposit_id,
        created_at,
        lead_id,
        version,
        lead_name,
        country,
        time_zone,
        local_time(time_zone, $now) as local_time,
        inside_calling_hours(time_zone, $now, $first_minute, $end_minute) as inside_calling_hours,
        decline_reason,
        provider,
        method,
        amount,
        amount_currency,
        amount_usd,
        am_id,
        am_name,
        is_starred,
        team_name,
        status,
        desk,
        reviewed_at is not null as is_reviewed,
        reviewed_at,
        balance,
        currency,
        balance_usd,
        last_contacted_at,
        priority_score,
        priority_reasons,
        (select count(*) from matched) as matched
    from shown
    join mart_lead_priority as leads using (lead_id)
)

select *
from final
order by is_reviewed, created_at desc, deposit_id desc
