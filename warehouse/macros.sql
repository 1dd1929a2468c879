-- Macros every snapshot carries, so pages and any SQL tool compute a lead's local time and
-- calling hours the same way, at the moment of looking (the marts store only the IANA zone).

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
-- the moment (UTC): the working days before the moment's day, plus the part of its working
-- hours (09:00-18:00 UTC) gone, over the period's working days; 0-1, NULL for a period
-- without a working day. The pace a target board compares its progress with.
CREATE OR REPLACE MACRO expected_share(period_start, period_end, moment) AS
    CASE WHEN working_days(period_start, period_end) > 0 THEN least(1.0, (
        working_days(period_start, least(CAST(period_end AS DATE),
            CAST(timezone('UTC', moment) AS DATE) - 1))
        + CASE WHEN isodow(timezone('UTC', moment)) <= 5
                AND CAST(timezone('UTC', moment) AS DATE) BETWEEN period_start AND period_end
            THEN least(1.0, greatest(0.0, (hour(timezone('UTC', moment)) * 60
                + minute(timezone('UTC', moment)) - 540) / 540.0))
            ELSE 0.0 END
    ) / working_days(period_start, period_end)) END;
