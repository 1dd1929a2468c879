-- maintained: additive (am_id, day)
-- int_activity_day: one row per AM per reporting day (the floor's calendar day) with activity in mart_activity_log:
-- how many calls, connected calls, mails, notes and assignments. Key: (am_id, day). Sums of
-- sign-weighted rows of changes_mart_activity_log (all of the log on a full run; the rows an
-- incremental run replaced, -1, and their new versions, +1, otherwise).
with final as (
    select
        am_id,
        reporting_day(occurred_at) as day,
        cast(coalesce(sum(sign) filter (where kind = 'call'), 0) as bigint) as calls,
        cast(coalesce(sum(sign) filter (where kind = 'call' and detail = 'connected'), 0)
            as bigint) as connected_calls,
        cast(coalesce(sum(sign) filter (where kind = 'email'), 0) as bigint) as emails,
        cast(coalesce(sum(sign) filter (where kind = 'note'), 0) as bigint) as notes,
        cast(coalesce(sum(sign) filter (where kind = 'assignment'), 0) as bigint) as assignments,
        -- How many log rows the key sums: the key goes when it reaches 0.
        cast(sum(sign) as bigint) as fact_rows
    from changes_mart_activity_log
    where am_id is not null
    group by all
)

select * from final
