-- fct_deposit_attempts: one row per deposit attempt on a known lead. Key: deposit_id.
select deposits.*
from stg_deposit_attempts as deposits
where known_lead(deposits.lead_id)
  and (deposits.am_id is null or deposits.am_id in (select staff_id from stg_staff))
