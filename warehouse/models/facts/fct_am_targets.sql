-- fct_am_targets: one row per target of a known AM for a period. Key: target_id.
select targets.*
from stg_am_targets as targets
where targets.am_id in (select staff_id from stg_staff)
