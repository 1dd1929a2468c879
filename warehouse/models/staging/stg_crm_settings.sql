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
        -- Pages read the calling hours as HH:MM-HH:MM (crm.settings.CallingHours); without
        -- them they use 09:00-20:00.
        case
            when setting_key = 'calling_hours' and not (
                regexp_full_match(
                    coalesce(setting_value, ''),
                    '([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]'
                )
                and split_part(setting_value, '-', 1) < split_part(setting_value, '-', 2)
            ) then 'calling hours ' || coalesce(setting_value, 'NULL') || ' are not HH:MM-HH:MM'
        end as quarantine_reason
    from typed
)

select * from final
