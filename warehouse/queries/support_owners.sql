-- support_owners: the staff who own an open or pending ticket, by name: the support page's
-- owner filter.
select distinct owner_id, owner_name
from mart_support_tickets
where is_open and owner_id is not null
order by owner_name, owner_id
