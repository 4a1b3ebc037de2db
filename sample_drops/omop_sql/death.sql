-- DEATH of the rendered CDM: one row per patient with a death_date.
-- Reads the contract drop's kinds as text tables c_<kind> (sample_drops/omop.py).
select
    trim(patient_id) as person_id,
    death_date,
    cast(null as varchar) as death_datetime,
    0 as death_type_concept_id,
    0 as cause_concept_id,
    cast(null as varchar) as cause_source_value,
    0 as cause_source_concept_id
from c_patients
where nullif(trim(death_date), '') is not null
