-- stg_crm_settings: one row per CRM setting (e.g. demo, calling_hours). Key: setting_key.
with source as (
    select * from landing.crm_settings
),

typed as (
    select
        cast(key as varchar) as setting_key,
        cast(value as varchar) as setting_value,
        try_cast(updated_at as timestamptz) as updated_at
    from source
),

final as (
    select
        *,
        cast(null as varchar) as quarantine_reason
    from typed
)

select * from final
