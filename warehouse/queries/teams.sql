-- teams: one row per team, by name: the team filter's choices.
select team_id, team_name, desk
from dim_teams
order by team_name, team_id
