-- fct_target_board_entries: one row per deposit on an AM's target board. Key: entry_id.
select entries.*
from stg_target_board_entries as entries
where entries.am_id in (select staff_id from stg_staff)
  and known_deposit(entries.deposit_id)
