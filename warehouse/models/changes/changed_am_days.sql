-- changed_am_days: the AM days whose count of distinct leads assigned an incremental run
-- recomputes.
select distinct to_am_id as am_id, cast(assigned_at as date) as day
from changes_fct_assignments
