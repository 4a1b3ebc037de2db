-- omop_person: OMOP CDM PERSON rows as contract patients rows (text, checked after).
-- Grain: one row per PERSON row of `_incoming` (text columns and `_line`).
-- Reads: _incoming, omop_death, omop_care_site, omop_cdm_source.
-- person_id (the CDM's pseudonymous integer) is the patient_id. person_source_value,
-- location_id, provider_id and the race and ethnicity fields are never read: they stay
-- out of the warehouse (person_source_value often holds the hospital's own identifier).
-- sex: gender_concept_id 8507 / 8532 (the CDM's fixed Gender concepts), else
-- gender_source_value when it reads male, female or unknown, U when it is empty; any
-- other gender_source_value goes to the contract's check as it is, which quarantines it
-- (an ETL that could not map a sex it was given is the site's to fix, as in a contract
-- drop). Birth: birth_datetime's date,
-- else year, month and day of birth, else the year alone. Site: the person's care site
-- (care_site_source_value, else its name, else its id), else the database's
-- CDM_SOURCE.cdm_source_abbreviation (one CDM is usually one site). Death: the earliest
-- DEATH.death_date of the person.
with deaths as (
    select
        trim(person_id) as person_id,
        min(omop_date(death_date)) as death_date
    from omop_death
    group by trim(person_id)
),

care_sites as (
    select
        trim(care_site_id) as care_site_id,
        coalesce(
            nullif(trim(care_site_source_value), ''), nullif(trim(care_site_name), ''), trim(care_site_id)
        ) as site_id
    from omop_care_site
),

database_site as (
    select
        coalesce(
            nullif(trim(any_value(cdm_source_abbreviation)), ''), nullif(trim(any_value(cdm_source_name)), '')
        ) as site_id
    from omop_cdm_source
),

final as (
    select
        p._line,
        nullif(trim(p.person_id), '') as patient_id,
        case
            when try_cast(p.gender_concept_id as bigint) = 8507 then 'M'
            when try_cast(p.gender_concept_id as bigint) = 8532 then 'F'
            when lower(trim(p.gender_source_value)) in ('m', 'male') then 'M'
            when lower(trim(p.gender_source_value)) in ('f', 'female') then 'F'
            when coalesce(lower(trim(p.gender_source_value)), '') in ('', 'u', 'unknown') then 'U'
            else trim(p.gender_source_value)
        end as sex,
        cast(coalesce(
            omop_date(p.birth_datetime),
            try_cast(make_date(
                try_cast(p.year_of_birth as integer),
                try_cast(p.month_of_birth as integer),
                try_cast(p.day_of_birth as integer)
            ) as date)
        ) as varchar) as birth_date,
        nullif(trim(p.year_of_birth), '') as birth_year,
        coalesce(c.site_id, (select d.site_id from database_site as d)) as site_id,
        cast(dt.death_date as varchar) as death_date,
        cast(null as varchar) as _why
    from _incoming as p
    left join care_sites as c on trim(p.care_site_id) = c.care_site_id
    left join deaths as dt on trim(p.person_id) = dt.person_id
)

select * from final
