-- maintained: by key (target_id) from changed_target_ids
-- mart_target_board: one row per AM per target period (F12): the target, and the deposits
-- recorded on the AM's target board whose deposit was made within the period (UTC days,
-- both ends included). Key: target_id (one per am_id and period_start). In no particular
-- order (pages sort): an incremental run replaces the changed targets' rows.
with targets as (
    select target_id, am_id, period_start, period_end, target_usd, target_ftds
    from fct_am_targets
    where target_id in (select target_id from changed_target_ids)  -- changed only
),

account_managers as (
    select staff_id as am_id, staff_name as am_name, team_id, team_name from dim_staff
),

entries as (
    select
        entries.am_id,
        entries.amount_usd,
        cast(deposits.created_at as date) as deposit_day,
        deposits.is_ftd
    from fct_target_board_entries as entries
    join fct_deposit_attempts as deposits using (deposit_id)
    where entries.am_id in (select am_id from targets)  -- changed only
),

recorded as (
    select
        targets.target_id,
        count(entries.am_id) as recorded_deposits,
        coalesce(sum(entries.amount_usd), 0) as recorded_usd,
        count(entries.am_id) filter (where entries.is_ftd) as recorded_ftds
    from targets
    left join entries
        on entries.am_id = targets.am_id
        and entries.deposit_day between targets.period_start and targets.period_end
    group by targets.target_id
),

final as (
    select
        targets.target_id,
        targets.am_id,
        account_managers.am_name,
        account_managers.team_id,
        account_managers.team_name,
        targets.period_start,
        targets.period_end,
        targets.target_usd,
        cast(recorded.recorded_usd as decimal(18, 2)) as recorded_usd,
        case when targets.target_usd > 0
            then round(recorded.recorded_usd / targets.target_usd, 4) end as progress,
        recorded.recorded_deposits,
        targets.target_ftds,
        recorded.recorded_ftds
    from targets
    join account_managers using (am_id)
    join recorded using (target_id)
)

select * from final
