-- mart_target_board: one row per AM per target period (F12): the target, and the deposits
-- recorded on the AM's target board whose deposit was made within the period (reporting days,
-- both ends included). Key: target_id (one per am_id and period_start). Rebuilt every run from
-- the few thousand targets and the board's days (int_target_board_day); in no particular
-- order (pages sort).
with targets as (
    select target_id, am_id, period_start, period_end, target_usd, target_ftds
    from fct_am_targets
),

account_managers as (
    select staff_id as am_id, staff_name as am_name, team_id, team_name from dim_staff
),

recorded as (
    select
        targets.target_id,
        coalesce(sum(days.recorded_deposits), 0) as recorded_deposits,
        coalesce(sum(days.recorded_usd), 0) as recorded_usd,
        coalesce(sum(days.recorded_ftds), 0) as recorded_ftds
    from targets
    left join int_target_board_day as days
        on days.am_id = targets.am_id
        and days.day between targets.period_start and targets.period_end
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
        cast(recorded.recorded_deposits as bigint) as recorded_deposits,
        targets.target_ftds,
        cast(recorded.recorded_ftds as bigint) as recorded_ftds
    from targets
    join account_managers using (am_id)
    join recorded using (target_id)
)

select * from final
