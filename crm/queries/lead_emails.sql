-- lead_emails: every mail queued for the lead (by the indexed lead_id), sent or not.
select
    id as email_id,
    created_at,
    sent_at,
    template,
    status,
    attempts,
    last_error
from email_outbox
where lead_id = :lead_id
