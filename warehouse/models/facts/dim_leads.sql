-- dim_leads: one row per lead whose owning AM (if any) exists. Key: lead_id.
select leads.*
from stg_leads as leads
where leads.am_id is null or leads.am_id in (select staff_id from stg_staff)
