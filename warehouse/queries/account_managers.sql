-- account_managers: the active AMs, optionally of one team ($team_id NULL = all): the AM
-- filter's choices.
select staff_id as am_id, staff_name as am_name, team_id, team_name, desk
from dim_staff
where role = 'account_manager'
  and is_active
  and ($team_id is null or team_id = $team_id)
order by staff_name, staff_id
