-- dim_teams: one row per team. Key: team_id.
select team_id, team_name, desk from stg_teams
