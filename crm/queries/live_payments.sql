-- live_payments: the deposit attempts the CRM wrote or changed at or after `since` (by
-- `updated_at`, indexed), as mart_payments has them, for the payment options log's live tail.
-- An attempt of an unknown currency, which the ETL quarantines, is left out here too (and
-- crm/live.py leaves out the amounts it refuses: money is text on SQLite); so is a creation
-- time outside [earliest, latest), as in live_online.
with changed as (
    select * from deposit_attempts
    where updated_at >= :since
      and updated_at < :latest
      and created_at >= :earliest
      and created_at < :latest
),

final as (
    select
        changed.id as deposit_id,
        changed.lead_id,
        leads.first_name || ' ' || leads.last_name as lead_name,
        changed.am_id,
        staff.name as am_name,
        changed.method,
        changed.provider,
        changed.status,
        changed.decline_reason,
        changed.amount,
        changed.currency,
        changed.amount_usd,
        changed.is_ftd,
        changed.created_at
    from changed
    join leads on leads.id = changed.lead_id
    left join staff on staff.id = changed.am_id
    where changed.currency in (select code from currencies)
)

select * from final
