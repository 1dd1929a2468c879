-- freshness: the newest successful ETL run in this snapshot: when the CRM was read (as_of)
-- and when the run finished. One row.
select run_id, as_of, finished_at, mode, rows_landed, rows_quarantined
from etl_runs
where status = 'succeeded'
order by run_id desc
limit 1
