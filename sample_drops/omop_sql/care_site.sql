-- CARE_SITE of the rendered CDM: one row per distinct site_id of the patients.
-- Reads the contract drop's kinds as text tables c_<kind> (sample_drops/omop.py).
select
    row_number() over (order by site_id) as care_site_id,
    site_id as care_site_name,
    0 as place_of_service_concept_id,
    cast(null as varchar) as location_id,
    site_id as care_site_source_value,
    cast(null as varchar) as place_of_service_source_value
from (
    select distinct trim(site_id) as site_id from c_patients
    where nullif(trim(site_id), '') is not null
) as s
