-- starred_per_am: one row per AM with starred leads, optionally of one team ($team_id) or one
-- AM ($am_id) (NULL = all): how many are starred, how many of those are inside the calling
-- hours [$first_minute, $end_minute) of their own day at $now, and how many have a callback
-- due by the end of the next 24 hours. Starred leads without an AM form one row (am_id NULL).
select
    am_id,
    any_value(am_name) as am_name,
    any_value(team_name) as team_name,
    count(*) as starred,
    count(*) filter (where inside_calling_hours(time_zone, $now, $first_minute, $end_minute))
        as callable_now,
    count(*) filter (where callback_at <= $now + interval 1 day) as callbacks_due
from mart_lead_priority
where is_starred
  and ($am_id is null or am_id = $am_id)
  and ($team_id is null or am_id in (select staff_id from dim_staff where team_id = $team_id))
group by am_id
order by starred desc, am_name nulls last
