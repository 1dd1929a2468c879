-- lead_deposits: every deposit attempt of the lead (by the indexed lead_id), approved or not,
-- with the AM it is credited to, and its entry on a target board if any (by the entries'
-- unique deposit_id): on whose board, recorded when and by whom.
select
    deposit_attempts.id as deposit_id,
    deposit_attempts.created_at,
    deposit_attempts.decided_at,
    deposit_attempts.amount,
    deposit_attempts.currency,
    deposit_attempts.amount_usd,
    deposit_attempts.method,
    deposit_attempts.provider,
    deposit_attempts.status,
    deposit_attempts.decline_reason,
    deposit_attempts.is_ftd,
    deposit_attempts.is_self_deposit,
    staff.name as am_name,
    board_am.name as board_am_name,
    board.recorded_at as board_recorded_at,
    recorder.name as board_recorded_by_name
from deposit_attempts
left join staff on staff.id = deposit_attempts.am_id
left join target_board_entries as board on board.deposit_id = deposit_attempts.id
left join staff as board_am on board_am.id = board.am_id
left join staff as recorder on recorder.id = board.recorded_by_id
where deposit_attempts.lead_id = :lead_id
