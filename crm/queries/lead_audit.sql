-- lead_audit: what Starboard's actions changed on the lead (by the indexed lead_id): the
-- stars and the callbacks a call set, read from each change's before and after. The events
-- the brokerage's systems send (logins, deposits, dialer calls) have their own tables.
select
    audit_log.id as audit_id,
    audit_log.at,
    audit_log.action,
    staff.name as actor_name,
    audit_log.before,
    audit_log.after
from audit_log
left join staff on staff.id = audit_log.actor_id
where audit_log.lead_id = :lead_id
  and audit_log.action not in (
      'register', 'ingest_leads', 'platform_event', 'deposit_event', 'dialer_call', 'inbox_dismiss'
  )
