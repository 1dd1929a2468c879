-- materialized: known_lead(lead_id)
-- known_leads: the keys of dim_leads, the leads a fact row may point at. Key: lead_id.
-- Every fact view checks its rows' leads with the macro known_lead(lead_id) that comes with
-- this temp table (etl.run._create_membership): computed once per read of the staging, it
-- tests the range of lead ids and the few gaps in it, instead of hashing the 1 M leads of
-- dim_leads at each of the forty reads of the fact views in a run.
select lead_id from dim_leads
