-- changed_priority_leads: the leads whose mart_lead_priority row an incremental run
-- recomputes: every lead that changed itself or whose AM did (the row shows the lead's own
-- columns and the AM's name and team), every lead whose activity or latest assignment changed
-- (its explanation shows) or who came online, and the leads whose ranking moved only because
-- time passed since the last run. The last are the rules of
-- mart_lead_priority that compare a time with the moment of the run; keep the two in step
-- (tests/etl/test_incremental.py moves the clock across each of them):
-- - days since login count the floor's calendar days: at midnight every lead's count moves;
-- - online now: a session seen in the last 5 minutes; an online lead goes offline by itself
--   (coming online takes a heartbeat, which is a change);
-- - an open failed deposit: a decline in the last 14 days;
-- - callback due: a callback within a day from now;
-- - new registration: in the last 2 days.
with clock as (
    select
        least(getvariable('previous_as_of'), getvariable('as_of')) as was,
        greatest(getvariable('previous_as_of'), getvariable('as_of')) as now,
        reporting_day(getvariable('previous_as_of')) <> reporting_day(getvariable('as_of'))
            as new_day
),

moved_by_clock as (
    select lead_id
    from mart_lead_priority, clock
    where clock.new_day
       or online_now
       or callback_at between clock.was + interval 1 day and clock.now + interval 1 day
       or registered_at between clock.was - interval 2 day and clock.now - interval 2 day
    union all
    select lead_id
    from int_lead_activity, clock
    where last_declined_at between clock.was - interval 14 day and clock.now - interval 14 day
),

-- Only a lead's latest assignment shows (its explanation): a changed one matters if it is at
-- or after the lead's latest now (it is the latest, or was and moved), or the lead has none left.
latest_now as (
    select lead_id, max(assigned_at) as latest_at
    from fct_assignments
    where lead_id in (select lead_id from changes_fct_assignments)
    group by lead_id
),

moved_latest_assignment as (
    select changed.lead_id
    from changes_fct_assignments as changed
    left join latest_now using (lead_id)
    where latest_now.latest_at is null or changed.assigned_at >= latest_now.latest_at
),

-- A lead online at the last run is in moved_by_clock; one that was not comes online only by a
-- session this run landed that is live now (a heartbeat of a session long gone moves
-- nothing). Read from the sessions: their changes carry no last seen (etl.changes).
came_online as (
    select lead_id from fct_platform_sessions
    where session_id in (select session_id from candidates_platform_sessions)
      and logout_at is null
      and last_seen_at >= getvariable('as_of') - interval 5 minute
)

select lead_id from changes_dim_leads
union select lead_id from touched_leads
union select lead_id from changes_int_lead_activity
union select lead_id from changes_int_lead_logins
union select lead_id from moved_latest_assignment
union select lead_id from came_online
union select lead_id from moved_by_clock
