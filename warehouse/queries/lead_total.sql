-- lead_total: how many leads the warehouse holds (one row): tells the lead pages' empty CRM
-- ("nothing yet, here is how to get data") from filters that match nothing.
select count(*) as leads
from mart_lead_priority
