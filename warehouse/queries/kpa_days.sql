-- kpa_days: the floor's KPAs for each day from $first_day to $last_day (inclusive).
select *
from mart_daily_kpa
where day between $first_day and $last_day
order by day
