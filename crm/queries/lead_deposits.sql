-- lead_deposits: every deposit attempt of the lead (by the indexed lead_id), approved or not,
-- with the AM it is credited to.
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
    staff.name as am_name
from deposit_attempts
left join staff on staff.id = deposit_attempts.am_id
where deposit_attempts.lead_id = :lead_id
