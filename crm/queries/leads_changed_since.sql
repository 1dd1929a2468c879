-- leads_changed_since: the ids of the leads written at or after the time given (by anyone: a
-- manager's star in another session, an AM's call), newest first, at most as many as asked;
-- lead_states then reads them. The `updated_at` index finds them; between two ETL runs they
-- are few.
select leads.id as lead_id
from leads
where leads.updated_at >= :since
order by leads.updated_at desc, leads.id desc
limit :limit
