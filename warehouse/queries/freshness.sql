-- freshness: the newest successful ETL run in this snapshot: when the CRM was read (as_of),
-- when the run finished, and how far behind its primary the CRM's replica was when the run
-- read it (replica_lag_s; NULL when the run read the CRM itself). One row. (`*`: a snapshot
-- published before replica_lag_s existed still answers.)
select *
from etl_runs
where status = 'succeeded'
order by run_id desc
limit 1
