-- fct_deposit_attempts: one row per deposit attempt on a known lead. Key: deposit_id.
select deposits.*
from stg_deposit_attempts as deposits
where deposits.lead_id in (select lead_id from known_leads)
  and (deposits.am_id is null or deposits.am_id in (select staff_id from stg_staff))
