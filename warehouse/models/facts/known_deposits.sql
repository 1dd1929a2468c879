-- materialized: known_deposit(deposit_id)
-- known_deposits: the keys of fct_deposit_attempts, the deposits a target-board entry may be
-- recorded against. Key: deposit_id. fct_target_board_entries checks its rows' deposits with
-- the macro known_deposit(deposit_id) that comes with this temp table (see known_leads): a
-- read of the board no longer reads and hashes every deposit attempt.
select deposit_id from fct_deposit_attempts
