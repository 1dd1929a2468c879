-- fct_notes: one row per note on a known lead. Key: note_id.
select notes.*
from stg_notes as notes
where notes.lead_id in (select lead_id from known_leads)
