-- active_account_managers: the AMs an assignment may go to now, one row per active account
-- manager of the desk given (every desk when any_desk), ordered by name, then id.
select
    id as am_id,
    name as am_name
from staff
where role = 'account_manager'
  and is_active = true
  and (:any_desk or desk = :desk)
order by name, id
