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
