-- fct_notes: one row per note on a known lead. Key: note_id.
select notes.*
from stg_notes as notes
where known_lead(notes.lead_id)
