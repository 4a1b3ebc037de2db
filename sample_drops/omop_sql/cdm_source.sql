-- CDM_SOURCE of the rendered CDM: one row: the database and its extraction date.
-- Reads the contract drop's kinds as text tables c_<kind> (sample_drops/omop.py).
select
    'cohortscan curated sample' as cdm_source_name,
    '' as cdm_source_abbreviation,
    'cohortscan' as cdm_holder,
    extracted_on as source_release_date,
    extracted_on as cdm_release_date,
    '5.4' as cdm_version
from extraction
