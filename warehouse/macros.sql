-- Macros every snapshot carries, so pages and any SQL tool compute a lead's local time and
-- calling hours the same way, at the moment of looking (the marts store only the IANA zone).
-- floor_zone() comes first, written by the ETL run that built the snapshot: the floor's IANA
-- time zone (STARBOARD_TIME_ZONE), whose midnight ends a reporting day.

-- reporting_day(moment): the floor's calendar day of a UTC moment. Every mart's `day` is one:
-- a call at 22:30 UTC on a floor in Asia/Nicosia (UTC+2 in winter) counts on the next day.
CREATE OR REPLACE MACRO reporting_day(moment) AS CAST(timezone(floor_zone(), moment) AS DATE);

-- day_start(day): the UTC moment the floor's reporting day begins (its local midnight).
CREATE OR REPLACE MACRO day_start(day) AS timezone(floor_zone(), CAST(day AS TIMESTAMP));

-- local_time(zone, moment): the wall-clock time in the IANA zone at a UTC moment; NULL for a
-- lead whose zone is unknown (staging keeps only the zones DuckDB knows: any other would fail
-- the whole query).
CREATE OR REPLACE MACRO local_time(zone, moment) AS timezone(zone, moment);

-- inside_calling_hours(zone, moment, first_minute, end_minute): whether that wall-clock time
-- falls in [first_minute, end_minute) minutes after local midnight (09:00-20:00 is 540, 1200).
CREATE OR REPLACE MACRO inside_calling_hours(zone, moment, first_minute, end_minute) AS
    hour(local_time(zone, moment)) * 60 + minute(local_time(zone, moment)) >= first_minute
    AND hour(local_time(zone, moment)) * 60 + minute(local_time(zone, moment)) < end_minute;

-- working_days(first_day, last_day): the Mondays to Fridays from first_day to last_day, both
-- included (0 when last_day comes first).
CREATE OR REPLACE MACRO working_days(first_day, last_day) AS (
    SELECT count(*) FROM generate_series(
        CAST(first_day AS TIMESTAMP), CAST(last_day AS TIMESTAMP), INTERVAL 1 DAY
    ) AS days(day)
    WHERE isodow(days.day) <= 5
);

-- expected_share(period_start, period_end, moment): the share of a target's period worked by
-- the moment (UTC): the working days before the moment's reporting day, plus the part of its
-- working hours (09:00-18:00 on the floor's clock) gone, over the period's working days; 0-1,
-- NULL for a period without a working day. The pace a target board compares its progress with.
CREATE OR REPLACE MACRO expected_share(period_start, period_end, moment) AS
    CASE WHEN working_days(period_start, period_end) > 0 THEN least(1.0, (
        working_days(period_start, least(CAST(period_end AS DATE), reporting_day(moment) - 1))
        + CASE WHEN isodow(timezone(floor_zone(), moment)) <= 5
                AND reporting_day(moment) BETWEEN period_start AND period_end
            THEN least(1.0, greatest(0.0, (hour(timezone(floor_zone(), moment)) * 60
                + minute(timezone(floor_zone(), moment)) - 540) / 540.0))
            ELSE 0.0 END
    ) / working_days(period_start, period_end)) END;

-- am_label(name, is_active, role_now, team_id_now, team_name_now, team_id_then): an AM's name
-- on a past day's row, saying what changed since (issue 23 item 5): "Cid Cole (deactivated)",
-- "Alan Ames (now sales manager)", "Bea Brook (now in Retention B)"; the name alone otherwise.
CREATE OR REPLACE MACRO am_label(
    name, is_active, role_now, team_id_now, team_name_now, team_id_then
) AS name || CASE
    WHEN NOT is_active THEN ' (deactivated)'
    WHEN role_now <> 'account_manager' THEN ' (now ' || replace(role_now, '_', ' ') || ')'
    WHEN team_id_now IS DISTINCT FROM team_id_then
        THEN ' (now in ' || coalesce(team_name_now, 'no team') || ')'
    ELSE ''
END;
