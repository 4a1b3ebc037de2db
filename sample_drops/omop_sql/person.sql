-- PERSON of the rendered CDM: one row per patients row; person_id carries the contract's
-- patient_id (text), so that both forms' results compare row for row.
-- Reads the contract drop's kinds as text tables c_<kind> (sample_drops/omop.py).
with sites as (
    select
        row_number() over (order by site_id) as care_site_id,
        site_id
    from (
        select distinct trim(site_id) as site_id from c_patients
        where nullif(trim(site_id), '') is not null
    ) as s
)

select
    trim(p.patient_id) as person_id,
    case
        when lower(trim(p.sex)) in ('f', 'female') then 8532
        when lower(trim(p.sex)) in ('m', 'male') then 8507 else 0
    end as gender_concept_id,
    coalesce(p.birth_year, cast(year(try_cast(p.birth_date as date)) as varchar)) as year_of_birth,
    month(try_cast(p.birth_date as date)) as month_of_birth,
    day(try_cast(p.birth_date as date)) as day_of_birth,
    p.birth_date as birth_datetime,
    0 as race_concept_id,
    0 as ethnicity_concept_id,
    cast(null as varchar) as location_id,
    cast(null as varchar) as provider_id,
    s.care_site_id,
    'SRC-' || trim(p.patient_id) as person_source_value,
    p.sex as gender_source_value,
    0 as gender_source_concept_id,
    cast(null as varchar) as race_source_value,
    0 as race_source_concept_id,
    cast(null as varchar) as ethnicity_source_value,
    0 as ethnicity_source_concept_id
from c_patients as p left join sites as s on trim(p.site_id) = s.site_id
