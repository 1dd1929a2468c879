-- calling_hours: the CRM's calling_hours setting (HH:MM-HH:MM), if one is set.
select setting_value as calling_hours
from crm_settings
where setting_key = 'calling_hours'
