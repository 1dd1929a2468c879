-- owner_deposits: the approved deposits of the leads lead_ids credited to the lead's owner now
-- (a deposit is credited to the AM who owned the lead when it arrived). One row per deposit;
-- amounts are summed in Python, exactly (SQLite keeps money as text).
select
    deposit_attempts.lead_id,
    deposit_attempts.id as deposit_id,
    deposit_attempts.amount_usd
from deposit_attempts
inner join leads
    on leads.id = deposit_attempts.lead_id
    and leads.am_id = deposit_attempts.am_id
where deposit_attempts.lead_id in :lead_ids
  and deposit_attempts.status = 'approved'
order by deposit_attempts.lead_id, deposit_attempts.id
