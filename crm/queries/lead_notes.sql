-- lead_notes: every note on the lead (by the indexed lead_id), with its author.
select
    notes.id as note_id,
    notes.created_at,
    staff.name as author_name,
    notes.body
from notes
left join staff on staff.id = notes.author_id
where notes.lead_id = :lead_id
