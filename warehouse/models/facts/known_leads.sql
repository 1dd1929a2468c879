-- materialized
-- known_leads: the keys of dim_leads, the leads a fact row may point at. Key: lead_id.
-- Every fact view checks its rows' leads against it: a temp table computed once per read of
-- the staging (etl.run._create_views) costs a tenth of hashing dim_leads, a view over 1 M
-- leads and their AMs, at each of the forty reads of the fact views in a run.
select lead_id from dim_leads
