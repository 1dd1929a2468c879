-- fct_emails: one row per client e-mail to a known lead. Key: email_id.
select emails.*
from stg_email_outbox as emails
where known_lead(emails.lead_id)
